using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>State of one validation pass over one point: converted values and nodes by key path, and errors.</summary>
internal sealed class SpecValidation(SpecErrors errors, Func<string, string?> environment, Func<string, string> displayPath)
{
    private readonly HashSet<string> _broken = new(StringComparer.Ordinal);

    public SpecErrors Errors { get; } = errors;

    /// <summary>Looks up environment variables (for <c>~</c> in paths).</summary>
    public Func<string, string?> Environment { get; } = environment;

    /// <summary>How an absolute path is shown in messages.</summary>
    public Func<string, string> DisplayPath { get; } = displayPath;

    /// <summary>Every converted value by key path (null for unset optional keys).</summary>
    public Dictionary<string, JsonNode?> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Where each key's value was written, by key path.</summary>
    public Dictionary<string, SpecNode> Nodes { get; } = new(StringComparer.Ordinal);

    /// <summary>Reports an error; the key's value counts as unknown from now on, so nothing depending on it reports again.</summary>
    public void Error(SpecNode node, string path, string message)
    {
        Errors.Add(node, path, message);
        _broken.Add(path);
    }

    public void MarkBroken(string path) => _broken.Add(path);

    public bool IsBroken(string path) => _broken.Contains(path) || !Values.ContainsKey(path);

    /// <summary>"3:5" when <paramref name="node"/> is in the same file as <paramref name="from"/>, else its full location.</summary>
    public static string Where(SpecNode node, SpecNode from) =>
        node.Source == from.Source && !node.Source.IsOverride ? $"at {node.Line}:{node.Column}" : "at " + node.Source.Location(node.Line, node.Column);
}
