using System.Text.Json.Nodes;

namespace Runner.Pipeline.Stages;

/// <summary>Builds a stage's spec slice from the resolved spec: copy some paths, drop some fields.</summary>
public static class SpecSlices
{
    /// <summary>
    /// A new object holding deep copies of the dotted <paramref name="paths"/> of
    /// <paramref name="spec"/> at the same paths (<c>"sae"</c>, <c>"evaluate.tokens"</c>). Paths that
    /// are absent stay absent.
    /// </summary>
    public static JsonObject Take(JsonObject spec, params IEnumerable<string> paths)
    {
        var slice = new JsonObject();
        foreach (var path in paths)
        {
            var parts = path.Split('.');
            JsonNode? node = spec;
            foreach (var part in parts) node = node is JsonObject o && o.TryGetPropertyValue(part, out var child) ? child : null;
            if (node is null && !Exists(spec, parts)) continue;
            var target = slice;
            foreach (var part in parts[..^1])
            {
                if (target[part] is not JsonObject next)
                {
                    next = new JsonObject();
                    target[part] = next;
                }
                target = next;
            }
            target[parts[^1]] = node?.DeepClone();
        }
        return slice;
    }

    /// <summary>A deep copy of <paramref name="slice"/> without the dotted <paramref name="paths"/> (absent ones are ignored).</summary>
    public static JsonNode? Without(JsonNode? slice, IEnumerable<string> paths)
    {
        var copy = slice?.DeepClone();
        foreach (var path in paths)
        {
            var parts = path.Split('.');
            var node = copy;
            foreach (var part in parts[..^1]) node = node is JsonObject o ? o[part] : null;
            if (node is JsonObject parent) parent.Remove(parts[^1]);
        }
        return copy;
    }

    private static bool Exists(JsonObject spec, string[] parts)
    {
        JsonNode? node = spec;
        for (var i = 0; i < parts.Length; i++)
        {
            if (node is not JsonObject o || !o.TryGetPropertyValue(parts[i], out var child)) return false;
            node = child;
        }
        return true;
    }
}
