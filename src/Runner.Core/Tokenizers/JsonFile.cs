using System.Text.Json;

namespace Runner.Core.Tokenizers;

/// <summary>Reads the JSON files of a tokenizer folder, turning every malformation into a
/// <see cref="RunnerException"/> that names the file, the key and what was expected.</summary>
internal static class JsonFile
{
    /// <summary>Parses <paramref name="path"/>; the root must be an object.</summary>
    public static JsonDocument Parse(string path)
    {
        JsonDocument doc;
        try
        {
            using var stream = File.OpenRead(path);
            doc = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new RunnerException($"{path}: not valid JSON: {e.Message}", inner: e);
        }
        catch (IOException e)
        {
            throw new RunnerException($"{path}: cannot read: {e.Message}", inner: e);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            var found = Describe(doc.RootElement);
            doc.Dispose();
            throw new RunnerException($"{path}: expected a JSON object at the top level, found {found}");
        }
        return doc;
    }

    /// <summary>"an array", "a string", ... for error messages.</summary>
    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the string \"{Shorten(e.GetString()!)}\"",
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"{e.GetRawText()}",
        _ => "null",
    };

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "...";

    /// <summary>The member <paramref name="key"/> when present and not null.</summary>
    public static JsonElement? Member(JsonElement obj, string key) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>Throws unless <paramref name="e"/> is of <paramref name="kind"/>.</summary>
    public static JsonElement Expect(JsonElement e, JsonValueKind kind, string file, string key)
    {
        if (e.ValueKind != kind)
            throw new RunnerException($"{file}: {key}: expected {Article(kind)}, found {Describe(e)}");
        return e;
    }

    private static string Article(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>A required string member.</summary>
    public static string RequireString(JsonElement obj, string key, string file, string path) =>
        Member(obj, key) is { } v ? Expect(v, JsonValueKind.String, file, $"{path}.{key}").GetString()! :
            throw new RunnerException($"{file}: {path}.{key}: missing (expected a string)");

    /// <summary>An optional string member (null when absent or null).</summary>
    public static string? OptionalString(JsonElement obj, string key, string file, string path) =>
        Member(obj, key) is { } v ? Expect(v, JsonValueKind.String, file, $"{path}.{key}").GetString() : null;

    /// <summary>An optional boolean member.</summary>
    public static bool OptionalBool(JsonElement obj, string key, bool fallback, string file, string path)
    {
        if (Member(obj, key) is not { } v) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new RunnerException($"{file}: {path}.{key}: expected true or false, found {Describe(v)}"),
        };
    }

    /// <summary>A token id: a non-negative 32-bit integer.</summary>
    public static int Id(JsonElement v, string file, string key)
    {
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int id) || id < 0)
            throw new RunnerException($"{file}: {key}: expected a token id (an integer >= 0), found {Describe(v)}");
        return id;
    }

    /// <summary>A required id member.</summary>
    public static int RequireId(JsonElement obj, string key, string file, string path) =>
        Member(obj, key) is { } v ? Id(v, file, $"{path}.{key}") : throw new RunnerException($"{file}: {path}.{key}: missing (expected a token id)");

    /// <summary>A vocabulary object (token → id).</summary>
    public static Dictionary<string, int> Vocab(JsonElement obj, string file, string key)
    {
        Expect(obj, JsonValueKind.Object, file, key);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject()) vocab[p.Name] = Id(p.Value, file, $"{key}[\"{Shorten(p.Name)}\"]");
        return vocab;
    }
}
