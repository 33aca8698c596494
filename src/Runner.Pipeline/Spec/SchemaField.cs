using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>One key of a section: its type, default, documentation, and when it applies.</summary>
internal sealed record SchemaField(string Name, SchemaType Type, string Doc)
{
    /// <summary>The constant default (cloned on use); null means the key defaults to null.</summary>
    public JsonNode? Default { get; init; }

    /// <summary>A default derived from keys validated earlier (the one Resolve step), instead of <see cref="Default"/>.</summary>
    public Func<SpecValidation, JsonNode?>? DefaultFrom { get; init; }

    /// <summary>How the reference table shows a derived default.</summary>
    public string? DefaultDoc { get; init; }

    /// <summary>The key must be given.</summary>
    public bool Required { get; init; }

    /// <summary>The key applies only when all of these hold; otherwise it is null and giving it is a conflict.</summary>
    public IReadOnlyList<SchemaCondition> When { get; init; } = [];

    /// <summary>Excluded from the keys the sweep may vary.</summary>
    public bool NotSweepable { get; init; }
}
