using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Pipeline.Hashing;

namespace Runner.Pipeline.Caching;

/// <summary>
/// The <c>manifest.json</c> of a cache entry: what was computed from what, every file with its size
/// and hash, and the stage's metrics. Its <c>checksum</c> is the SHA-256 of the canonical JSON of
/// everything else, so an edited manifest is detected without hashing the files.
/// </summary>
public sealed record CacheManifest
{
    /// <summary>The manifest format written by this version.</summary>
    public const int CurrentFormat = 1;

    /// <summary>The file name inside an entry.</summary>
    public const string FileName = "manifest.json";

    /// <summary>Manifest format.</summary>
    public int Format { get; init; } = CurrentFormat;

    /// <summary>The stage name.</summary>
    public required string Stage { get; init; }

    /// <summary>The stage key (64 hex digits); also the entry's folder name.</summary>
    public required string Key { get; init; }

    /// <summary>The stage's version constant.</summary>
    public required int Version { get; init; }

    /// <summary>When the entry was published (UTC).</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>The input stages' keys, by stage name.</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; init; } = new Dictionary<string, string>();

    /// <summary>The environment fingerprint (libtorch and shim versions) that went into the key.</summary>
    public string Environment { get; init; } = "";

    /// <summary>The spec slice that went into the key (for people reading the cache; not verified).</summary>
    public JsonNode? Slice { get; init; }

    /// <summary>Every file of the entry except the manifest, sorted by path.</summary>
    public IReadOnlyList<ManifestFile> Files { get; init; } = [];

    /// <summary>The stage's metrics (flat name -> value).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The stage's notes.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The manifest as JSON, with its checksum.</summary>
    public JsonObject ToJson()
    {
        var o = Body();
        o["checksum"] = CanonicalJson.Sha256(o);
        return o;
    }

    /// <summary>Indented JSON text, as written to disk.</summary>
    public string ToText() => ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    /// <summary>Parses and checks a manifest; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static CacheManifest Parse(string text)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(text) as JsonObject ?? throw new FormatException("not a JSON object");
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON ({e.Message})", e);
        }
        try
        {
            var manifest = new CacheManifest
            {
                Format = (int?)o["format"] ?? throw new FormatException("no format"),
                Stage = (string?)o["stage"] ?? throw new FormatException("no stage"),
                Key = (string?)o["key"] ?? throw new FormatException("no key"),
                Version = (int?)o["version"] ?? throw new FormatException("no version"),
                Created = DateTimeOffset.Parse((string?)o["created"] ?? throw new FormatException("no created"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
                Inputs = (o["inputs"] as JsonObject ?? throw new FormatException("no inputs")).ToDictionary(p => p.Key, p => (string?)p.Value ?? ""),
                Environment = (string?)o["environment"] ?? "",
                Slice = o["slice"]?.DeepClone(),
                Files = (o["files"] as JsonArray ?? throw new FormatException("no files")).Select(ParseFile).ToList(),
                Metrics = (o["metrics"] as JsonObject ?? throw new FormatException("no metrics")).ToDictionary(p => p.Key, p => ParseNumber(p.Value)),
                Notes = (o["notes"] as JsonArray)?.Select(n => (string?)n ?? "").ToList() ?? [],
            };
            if (manifest.Format != CurrentFormat) throw new FormatException($"format {manifest.Format}, this Runner reads {CurrentFormat}");
            var checksum = (string?)o["checksum"] ?? throw new FormatException("no checksum");
            if (checksum != CanonicalJson.Sha256(manifest.Body())) throw new FormatException("checksum mismatch (the manifest was edited or damaged)");
            return manifest;
        }
        catch (Exception e) when (e is InvalidOperationException or JsonException or ArgumentException)
        {
            throw new FormatException($"unexpected content ({e.Message})", e);
        }
    }

    private JsonObject Body()
    {
        var inputs = new JsonObject();
        foreach (var (name, key) in Inputs.OrderBy(p => p.Key, StringComparer.Ordinal)) inputs[name] = key;
        var metrics = new JsonObject();
        foreach (var (name, value) in Metrics.OrderBy(p => p.Key, StringComparer.Ordinal)) metrics[name] = NumberNode(value);
        var files = new JsonArray();
        foreach (var f in Files) files.Add(new JsonObject { ["path"] = f.Path, ["size"] = f.Size, ["sha256"] = f.Sha256 });
        var notes = new JsonArray();
        foreach (var n in Notes) notes.Add(n);
        return new JsonObject
        {
            ["format"] = Format,
            ["stage"] = Stage,
            ["key"] = Key,
            ["version"] = Version,
            ["created"] = Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            ["inputs"] = inputs,
            ["environment"] = Environment,
            ["slice"] = Slice?.DeepClone(),
            ["files"] = files,
            ["metrics"] = metrics,
            ["notes"] = notes,
        };
    }

    /// <summary>A JSON node for a metric: a number, or the string NaN / Infinity / -Infinity.</summary>
    internal static JsonNode NumberNode(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");

    /// <summary>Reads what <see cref="NumberNode"/> wrote.</summary>
    internal static double ParseNumber(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string?)v switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s => throw new FormatException($"'{s}' is not a number"),
        },
        _ => throw new FormatException("a metric is not a number"),
    };

    private static ManifestFile ParseFile(JsonNode? node)
    {
        if (node is not JsonObject f) throw new FormatException("a file entry is not an object");
        var path = (string?)f["path"] ?? throw new FormatException("a file has no path");
        if (path.Length == 0 || path.StartsWith('/') || path.Split('/').Any(p => p is "" or "." or ".."))
            throw new FormatException($"file path '{path}' is not a plain relative path");
        return new ManifestFile(path, (long?)f["size"] ?? throw new FormatException($"file '{path}' has no size"),
            (string?)f["sha256"] ?? throw new FormatException($"file '{path}' has no sha256"));
    }
}
