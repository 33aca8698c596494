using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Hashing;

/// <summary>
/// Canonical JSON: object keys sorted by ordinal, no whitespace, integers as integers, other
/// numbers in shortest round-trip form with the invariant culture, strings escaped minimally.
/// The same data always gives the same bytes, so its SHA-256 can key a cache. Never use record
/// equality or GetHashCode for that (arrays compare by reference).
/// </summary>
public static class CanonicalJson
{
    /// <summary>Options for turning records into JSON nodes: snake_case names, as the spec spells them.</summary>
    public static readonly JsonSerializerOptions SerializerOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The JSON tree of <paramref name="value"/> with <see cref="SerializerOptions"/>.</summary>
    public static JsonNode? ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, SerializerOptions);

    /// <summary>The canonical text of <paramref name="node"/>.</summary>
    public static string Serialize(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(node, sb);
        return sb.ToString();
    }

    /// <summary>Lower-case hex SHA-256 of the canonical UTF-8 text of <paramref name="node"/>.</summary>
    public static string Sha256(JsonNode? node) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Serialize(node))));

    private static void Write(JsonNode? node, StringBuilder sb)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (key, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(key, sb);
                    sb.Append(':');
                    Write(value, sb);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Write(a[i], sb);
                }
                sb.Append(']');
                break;
            case JsonValue v:
                WriteValue(v, sb);
                break;
        }
    }

    private static void WriteValue(JsonValue v, StringBuilder sb)
    {
        switch (v.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(v.GetValue<object>() is JsonElement e ? e.GetString()! : v.ToString(), sb);
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.Number:
                WriteNumber(v, sb);
                break;
            default:
                sb.Append("null");
                break;
        }
    }

    private static void WriteNumber(JsonValue v, StringBuilder sb)
    {
        if (v.TryGetValue<long>(out var l)) { sb.Append(l.ToString(CultureInfo.InvariantCulture)); return; }
        if (v.TryGetValue<int>(out var i)) { sb.Append(i.ToString(CultureInfo.InvariantCulture)); return; }
        if (v.TryGetValue<ulong>(out var u)) { sb.Append(u.ToString(CultureInfo.InvariantCulture)); return; }
        double d;
        if (v.TryGetValue<double>(out var dd)) d = dd;
        else if (v.TryGetValue<float>(out var f)) d = f;
        else if (v.TryGetValue<decimal>(out var m)) d = (double)m;
        else d = double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture);
        if (double.IsFinite(d) && d == Math.Floor(d) && Math.Abs(d) < 9.007199254740992e15)
            sb.Append(((long)d).ToString(CultureInfo.InvariantCulture)); // 2.0 and 2 hash alike
        else if (double.IsFinite(d))
            sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
        else
            WriteString(double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity", sb);
    }

    private static readonly JsonSerializerOptions StringOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void WriteString(string s, StringBuilder sb) => sb.Append(JsonSerializer.Serialize(s, StringOptions));
}
