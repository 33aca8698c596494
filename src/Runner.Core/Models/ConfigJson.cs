using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Core.Models;

/// <summary>Typed reads of a config.json object; errors name the file and the key.</summary>
internal sealed class ConfigJson
{
    private readonly JsonObject _root;

    private ConfigJson(string path, JsonObject root, string prefix)
    {
        Path = path;
        _root = root;
        Prefix = prefix;
    }

    public string Path { get; }
    private string Prefix { get; }

    public static ConfigJson Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(full), documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true });
            return new ConfigJson(full, node as JsonObject ?? throw new RunnerException($"{full}: a model config must be a JSON object"), "");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RunnerException($"{full}: no such model config", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new RunnerException($"{full}: cannot read the model config: {e.Message}", inner: e);
        }
    }

    /// <summary>The nested object at <paramref name="key"/>, or null when absent or null.</summary>
    public ConfigJson? Object(string key) => Node(key) switch
    {
        null => null,
        JsonObject o => new ConfigJson(Path, o, Prefix + key + "."),
        var other => throw Bad(key, "an object", other),
    };

    public bool Has(string key) => Node(key) is not null;

    public JsonNode? Node(string key) => _root.TryGetPropertyValue(key, out var n) ? n : null;

    public RunnerException Bad(string key, string expected, JsonNode? found) =>
        new($"{Path}: {Prefix}{key}: expected {expected}, got {found?.ToJsonString() ?? "null"}");

    public RunnerException Missing(string key, string why) => new($"{Path}: missing key {Prefix}{key} ({why})");

    public int Int(string key, string why) => OptInt(key) ?? throw Missing(key, why);

    public int? OptInt(string key)
    {
        var n = Node(key);
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue)
            return (int)d;
        throw Bad(key, "an integer", n);
    }

    /// <summary>An integer, or the first of a list of integers (eos_token_id may be a list).</summary>
    public int? OptIntOrFirst(string key)
    {
        if (Node(key) is not JsonArray a) return OptInt(key);
        if (a.Count == 0) return null;
        if (a[0] is JsonValue v && v.TryGetValue<double>(out var d) && d == Math.Floor(d)) return (int)d;
        throw Bad(key, "an integer or a list of integers", a);
    }

    public double Double(string key, double fallback) => OptDouble(key) ?? fallback;

    public double? OptDouble(string key)
    {
        var n = Node(key);
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d)) return d;
        throw Bad(key, "a number", n);
    }

    public bool Bool(string key, bool fallback)
    {
        var n = Node(key);
        if (n is null) return fallback;
        if (n is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw Bad(key, "true or false", n);
    }

    public string? OptString(string key)
    {
        var n = Node(key);
        if (n is null) return null;
        if (n is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw Bad(key, "a string", n);
    }

    public static string Number(double d) => d.ToString("R", CultureInfo.InvariantCulture);
}
