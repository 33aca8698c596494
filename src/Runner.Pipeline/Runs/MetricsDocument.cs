using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Pipeline.Metrics;

namespace Runner.Pipeline.Runs;

/// <summary>
/// A run folder's <c>metrics.json</c>: <c>{"format": "runner-metrics", "version": 2, "metrics": {name: number, …},
/// "definitions": {id: version, …}}</c>, with a definition (<see cref="MetricCatalog"/>) for every id the metrics use.
/// The flat form written before definitions were versioned (<c>{"train.mse": 0.012, …}</c>) is read as well: its
/// definitions are unknown (null) and taken as version 1. Non-finite values are the strings <c>"NaN"</c>,
/// <c>"Infinity"</c>, <c>"-Infinity"</c>.
/// </summary>
public static class MetricsDocument
{
    /// <summary>The <c>format</c> field.</summary>
    public const string Format = "runner-metrics";

    /// <summary>The <c>version</c> this Runner writes (the flat form is version 1).</summary>
    public const int Version = 2;

    /// <summary>The document for <paramref name="metrics"/>: metrics sorted by name, the definitions they use sorted by id.</summary>
    public static JsonObject ToJson(IReadOnlyDictionary<string, double> metrics)
    {
        var values = new JsonObject();
        foreach (var (name, value) in metrics.OrderBy(p => p.Key, StringComparer.Ordinal)) values[name] = NumberNode(value);
        var definitions = new JsonObject();
        foreach (var (id, version) in MetricCatalog.VersionsFor(metrics.Keys)) definitions[id] = version;
        return new JsonObject { ["format"] = Format, ["version"] = Version, ["metrics"] = values, ["definitions"] = definitions };
    }

    /// <summary>Reads either form; a <see cref="FormatException"/> naming what is wrong otherwise.</summary>
    public static RecordedMetrics Parse(JsonNode? document)
    {
        var values = Values(document);
        var metrics = values.ToDictionary(p => p.Key, p => ParseNumber(p.Key, p.Value), StringComparer.Ordinal);
        if (!IsVersioned((JsonObject)document!)) return new RecordedMetrics(metrics, null);
        var definitions = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, node) in document!["definitions"] as JsonObject ?? throw new FormatException("\"definitions\" is not an object"))
            definitions[id] = node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) && n >= 1
                ? n : throw new FormatException($"definition {id}: the version is not a positive integer");
        return new RecordedMetrics(metrics, definitions);
    }

    /// <summary>The object of metric values of either form (the new form's <c>metrics</c>, or the flat file itself).</summary>
    public static JsonObject Values(JsonNode? document)
    {
        if (document is not JsonObject o) throw new FormatException("metrics.json is not a JSON object");
        if (!IsVersioned(o)) return o;
        if ((int?)o["version"] is not { } version) throw new FormatException("metrics.json has no version");
        if (version > Version) throw new FormatException($"metrics.json is version {version}, written by a newer Runner (this one reads up to {Version})");
        return o["metrics"] as JsonObject ?? throw new FormatException("metrics.json has no \"metrics\" object");
    }

    // The flat form holds only stage-prefixed metric names, so a "format" key marks the new one.
    private static bool IsVersioned(JsonObject o)
    {
        if (!o.ContainsKey("format")) return false;
        return (string?)(o["format"] as JsonValue) == Format ? true : throw new FormatException($"metrics.json has format {o["format"]?.ToJsonString()}, not {Format}");
    }

    /// <summary>A metric value as metrics.json writes it: a number, or a string for NaN and ±infinity.</summary>
    public static JsonNode NumberNode(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");

    private static double ParseNumber(string name, JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        JsonValue v when (string?)v == "NaN" => double.NaN,
        JsonValue v when (string?)v == "Infinity" => double.PositiveInfinity,
        JsonValue v when (string?)v == "-Infinity" => double.NegativeInfinity,
        _ => throw new FormatException($"metric {name} is not a number"),
    };
}
