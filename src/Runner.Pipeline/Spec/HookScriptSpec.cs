using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>One entry of <c>hooks</c>: an F# script (a bare string in the spec is its path).</summary>
public sealed record HookScriptSpec
{
    /// <summary>The <c>.fsx</c> script (absolute once resolved; relative paths are relative to the file that names it).</summary>
    public required string Path { get; init; }

    /// <summary>When it runs.</summary>
    public HookWhen When { get; init; } = HookWhen.End;

    /// <summary>Free-form arguments passed to the script.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Args { get; init; } = new Dictionary<string, JsonNode?>();
}
