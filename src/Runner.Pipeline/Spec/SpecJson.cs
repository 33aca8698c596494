using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>
/// Finishes a resolved JSON tree: every value becomes element-backed, so consumers can read a number
/// as whatever type they need (<c>(int)json["sae"]["k"]</c>, <c>(double)json["sae"]["lr"]</c>), and
/// real-valued keys keep a decimal point (<c>1.0</c>) in the text and in <c>resolved.yaml</c>.
/// </summary>
internal static class SpecJson
{
    public static JsonObject Freeze(JsonObject root) => (JsonObject)Freeze((JsonNode)root)!;

    private static JsonNode? Freeze(JsonNode? node) => node switch
    {
        null => null,
        JsonObject o => new JsonObject(o.Select(kv => KeyValuePair.Create(kv.Key, Freeze(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Freeze).ToArray()),
        JsonValue v => JsonValue.Create(JsonDocument.Parse(Text(v)).RootElement.Clone()),
        _ => null,
    };

    private static string Text(JsonValue v)
    {
        if (v.GetValueKind() != JsonValueKind.Number) return v.ToJsonString();
        if (v.TryGetValue<long>(out var l)) return l.ToString(CultureInfo.InvariantCulture);
        if (v.TryGetValue<int>(out var i)) return i.ToString(CultureInfo.InvariantCulture);
        if (v.TryGetValue<double>(out var d))
            return d == Math.Floor(d) && Math.Abs(d) < 1e15
                ? ((long)d).ToString(CultureInfo.InvariantCulture) + ".0"
                : d.ToString("R", CultureInfo.InvariantCulture);
        return v.ToJsonString();
    }
}
