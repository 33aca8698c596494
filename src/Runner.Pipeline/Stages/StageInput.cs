namespace Runner.Pipeline.Stages;

/// <summary>An input stage's published output, as a stage sees it. Its folder is read-only.</summary>
public sealed record StageInput
{
    /// <summary>The input stage's name.</summary>
    public required string Stage { get; init; }

    /// <summary>Its key.</summary>
    public required string Key { get; init; }

    /// <summary>Its cache entry folder (read only).</summary>
    public required string Directory { get; init; }

    /// <summary>Its metrics.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Its notes.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}
