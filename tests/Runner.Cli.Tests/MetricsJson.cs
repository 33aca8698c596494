using System.Text.Json.Nodes;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Runs;

namespace Runner.Cli.Tests;

/// <summary>Reads what tests look at in a run's metrics.json.</summary>
internal static class MetricsJson
{
    /// <summary>The metric values (the <c>metrics</c> object of the versioned form, or a flat file itself).</summary>
    public static JsonObject Read(string path) => MetricsDocument.Values(JsonNode.Parse(File.ReadAllText(path)));

    /// <summary>
    /// Every metric of the run folder's metrics.json is covered by exactly one definition of the catalog, and the file's
    /// <c>definitions</c> are exactly the ids they use, at their current versions.
    /// </summary>
    public static void AssertEveryMetricHasOneDefinition(string runDirectory)
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(runDirectory, RunFolder.MetricsFile)))!.AsObject();
        Assert.Equal(MetricsDocument.Format, (string?)document["format"]);
        var names = MetricsDocument.Values(document).Select(p => p.Key).ToList();
        foreach (var name in names)
        {
            var covering = MetricCatalog.All.Where(d => MetricCatalog.Matches(d.Pattern, name)).Select(d => d.Id).ToList();
            Assert.True(covering.Count == 1, $"{name} is covered by {covering.Count} definitions ({string.Join(", ", covering)})");
        }
        var recorded = document["definitions"]!.AsObject().ToDictionary(p => p.Key, p => (int)p.Value!);
        Assert.Equal(MetricCatalog.VersionsFor(names), new SortedDictionary<string, int>(recorded, StringComparer.Ordinal));
    }
}
