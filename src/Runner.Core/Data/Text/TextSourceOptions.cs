namespace Runner.Core.Data.Text;

/// <summary>Where text documents come from: plain-text files and JSON-lines files, by glob pattern.</summary>
public sealed record TextSourceOptions
{
    /// <summary>Glob patterns (absolute) for plain-text files: one file is one document.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];

    /// <summary>Glob patterns (absolute) for JSON-lines files: one line (a JSON object) is one document.</summary>
    public IReadOnlyList<string> Jsonl { get; init; } = [];

    /// <summary>The string field of each JSON-lines object that holds the document's text.</summary>
    public string TextField { get; init; } = "text";
}
