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

    /// <summary>
    /// The row text for a value recorded under version <paramref name="recordedVersion"/> of <paramref name="current"/>:
    /// "definition changed: v1 → v2 (what changed in v2)", or for a version this Runner does not know, that it came from a newer one.
    /// </summary>
    public static string DescribeChange(MetricDefinition current, int recordedVersion)
    {
        if (recordedVersion > current.Version)
            return $"definition changed: v{recordedVersion} → v{current.Version} (recorded by a newer Runner; this one knows {current.Id} up to v{current.Version})";
        var changes = current.History.Where(c => c.Version > recordedVersion && c.Version <= current.Version).Select(c => $"v{c.Version} ({c.Since}): {c.What}").ToList();
        return $"definition changed: v{recordedVersion} → v{current.Version}" + (changes.Count > 0 ? $" ({string.Join("; ", changes)})" : "");
    }
}
