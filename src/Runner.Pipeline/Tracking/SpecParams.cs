using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Runner.Pipeline.Tracking;

/// <summary>
/// The flattened resolved spec as MLflow params: the dotted key path of every scalar of
/// <c>resolved.yaml</c> (<c>sae.k</c> -> <c>8</c>), lists as compact JSON (<c>["the","we went to"]</c>),
/// empty mappings as <c>{}</c>, nulls as <c>null</c>.
/// </summary>
public static class SpecParams
{
    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The params of a resolved spec's YAML text, in document order.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Flatten(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var result = new List<KeyValuePair<string, string>>();
        if (stream.Documents.Count > 0) Walk(stream.Documents[0].RootNode, "", result);
        return result;
    }

    private static void Walk(YamlNode node, string path, List<KeyValuePair<string, string>> result)
    {
        switch (node)
        {
            case YamlMappingNode map when map.Children.Count > 0:
                foreach (var (k, v) in map.Children)
                    Walk(v, path.Length == 0 ? ((YamlScalarNode)k).Value ?? "" : $"{path}.{((YamlScalarNode)k).Value}", result);
                break;
            case YamlMappingNode:
                result.Add(KeyValuePair.Create(path, "{}"));
                break;
            case YamlSequenceNode seq:
                result.Add(KeyValuePair.Create(path, Json(seq)!.ToJsonString(Compact)));
                break;
            case YamlScalarNode s:
                result.Add(KeyValuePair.Create(path, IsNull(s) ? "null" : s.Value ?? ""));
                break;
        }
    }

    private static JsonNode? Json(YamlNode node)
    {
        switch (node)
        {
            case YamlSequenceNode seq:
                return new JsonArray([.. seq.Children.Select(Json)]);
            case YamlMappingNode map:
                var o = new JsonObject();
                foreach (var (k, v) in map.Children) o[((YamlScalarNode)k).Value ?? ""] = Json(v);
                return o;
            case YamlScalarNode s when IsNull(s):
                return null;
            case YamlScalarNode { Style: ScalarStyle.Plain } s:
                var text = s.Value ?? "";
                if (text is "true" or "false") return JsonValue.Create(text == "true");
                if (long.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
                if (double.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return JsonValue.Create(d);
                return JsonValue.Create(text);
            case YamlScalarNode s:
                return JsonValue.Create(s.Value ?? "");
            default:
                return null;
        }
    }

    private static bool IsNull(YamlScalarNode s) => s.Style == ScalarStyle.Plain && s.Value is null or "" or "null" or "~" or "Null" or "NULL";
}
