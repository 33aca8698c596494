namespace Runner.Pipeline.Spec;

/// <summary>
/// One problem found in a spec, rendered as <c>file:line:col: key.path: message</c>
/// (<c>--set key=value: key.path: message</c> for a command-line override).
/// </summary>
public sealed record SpecError
{
    /// <summary><c>file:line:col</c>, a bare file path (the file could not be read) or <c>--set key=value</c>.</summary>
    public required string Location { get; init; }

    /// <summary>The file as displayed (relative to the working directory when inside it); null for overrides.</summary>
    public string? File { get; init; }

    /// <summary>1-based line, or 0 when there is none.</summary>
    public int Line { get; init; }

    /// <summary>1-based column, or 0 when there is none.</summary>
    public int Column { get; init; }

    /// <summary>The spec key path, e.g. <c>sae.k</c> or <c>steer.clamps[0].value</c>; empty for file-level errors.</summary>
    public required string KeyPath { get; init; }

    /// <summary>What is wrong, e.g. <c>must be &gt; 0, got -1</c>.</summary>
    public required string Message { get; init; }

    /// <summary>Orders errors: files in the order they were read, then overrides in the order given.</summary>
    internal int SourceOrder { get; init; }

    /// <summary>The one-line rendering.</summary>
    public override string ToString() => KeyPath.Length == 0 ? $"{Location}: {Message}" : $"{Location}: {KeyPath}: {Message}";
}
