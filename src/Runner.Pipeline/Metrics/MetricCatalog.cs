namespace Runner.Pipeline.Metrics;

/// <summary>
/// Every metric Runner writes, with its definition and version (docs/metrics.md is generated from this table).
/// SKELETON: the entries arrive with issue 15's "versioned metric definitions".
/// </summary>
public static class MetricCatalog
{
    /// <summary>Every definition, in the order docs list them.</summary>
    public static IReadOnlyList<MetricDefinition> All { get; } = [];

    /// <summary>The definition covering <paramref name="metricName"/> (stage-prefixed, as in metrics.json), or null.</summary>
    public static MetricDefinition? Find(string metricName) => null;
}
