using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>
/// Writes a resolved spec as <c>resolved.yaml</c>: block style, keys in schema order, every default
/// explicit, strings quoted only when YAML (1.2 or 1.1) would read them as something else. The output
/// is deterministic and loads back to the same spec (same spec hash).
/// </summary>
public static class ResolvedSpecWriter
{
    private const int FlowWidth = 100;

    /// <summary>The <c>resolved.yaml</c> text of <paramref name="point"/>: a short header comment, then the spec.</summary>
    public static string ToYaml(ResolvedPoint point)
    {
        var sb = new StringBuilder();
        sb.Append("# Resolved spec of ").Append(point.Experiment).Append(", run ").Append(point.RunName).Append('\n');
        if (point.Varied.Count > 0)
            sb.Append("# Sweep point ").Append(point.Index + 1).Append(": ")
              .Append(string.Join(", ", point.Varied.Select(kv => $"{kv.Key}={Flow(kv.Value)}"))).Append('\n');
        sb.Append("# Spec hash ").Append(point.SpecHash).Append('\n');
        sb.Append('\n');
        sb.Append(ToYaml(point.Json));
        return sb.ToString();
    }

    /// <summary>A resolved JSON tree as YAML (no header).</summary>
    public static string ToYaml(JsonObject json)
    {
        var sb = new StringBuilder();
        Mapping(json, 0, sb, topLevel: true);
        return sb.ToString();
    }

    private static void Mapping(JsonObject o, int indent, StringBuilder sb, bool topLevel = false)
    {
        var first = true;
        foreach (var (key, value) in o)
        {
            var block = IsBlock(value);
            if (topLevel && !first && block) sb.Append('\n');
            first = false;
            sb.Append(' ', indent).Append(Scalar(key)).Append(':');
            if (!block)
            {
                sb.Append(' ').Append(Flow(value)).Append('\n');
                continue;
            }
            sb.Append('\n');
            if (value is JsonObject child) Mapping(child, indent + 2, sb);
            else
                foreach (var item in (JsonArray)value!)
                    ListItem(item, indent + 2, sb);
        }
    }

    private static void ListItem(JsonNode? item, int indent, StringBuilder sb)
    {
        if (item is JsonObject { Count: > 0 } o)
        {
            var inner = new StringBuilder();
            Mapping(o, indent + 2, inner);
            sb.Append(' ', indent).Append("- ").Append(inner.ToString(indent + 2, inner.Length - indent - 2));
        }
        else sb.Append(' ', indent).Append("- ").Append(Flow(item)).Append('\n');
    }

    /// <summary>Non-empty mappings, and lists that hold mappings or do not fit on one line, are written as blocks.</summary>
    private static bool IsBlock(JsonNode? value) => value switch
    {
        JsonObject o => o.Count > 0,
        JsonArray a => a.Any(x => x is JsonObject { Count: > 0 }) || Flow(a).Length > FlowWidth,
        _ => false,
    };

    private static string Flow(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject o => "{" + string.Join(", ", o.Select(kv => $"{Scalar(kv.Key)}: {Flow(kv.Value)}")) + "}",
        JsonArray a => "[" + string.Join(", ", a.Select(Flow)) + "]",
        JsonValue v => Value(v),
        _ => "null",
    };

    private static string Value(JsonValue v)
    {
        switch (v.GetValueKind())
        {
            case JsonValueKind.String:
                return Scalar(v.GetValue<string>());
            case JsonValueKind.True:
                return "true";
            case JsonValueKind.False:
                return "false";
            case JsonValueKind.Number:
                if (v.TryGetValue<long>(out var l)) return l.ToString(CultureInfo.InvariantCulture);
                if (v.TryGetValue<int>(out var i)) return i.ToString(CultureInfo.InvariantCulture);
                var d = double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture);
                if (d == Math.Floor(d) && Math.Abs(d) < 1e15) return ((long)d).ToString(CultureInfo.InvariantCulture) + ".0";
                return d.ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant();
            default:
                return "null";
        }
    }

    private static readonly HashSet<string> Yaml11Words = ["y", "n", "yes", "no", "on", "off"];

    /// <summary>A string as a plain scalar when that reads back as the same string, else double-quoted.</summary>
    internal static string Scalar(string s)
    {
        var quote = s.Length == 0
            || ScalarParser.Parse(s).Kind != ScalarKind.String
            || Yaml11Words.Contains(s.ToLowerInvariant())
            || "-?:,[]{}#&*!|>'\"%@`".Contains(s[0])
            || char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])
            || s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal) || s.EndsWith(':')
            || s.Any(c => char.IsControl(c) || c is ',' or '[' or ']' or '{' or '}' or '"' or '\\')
            || s.Contains("${", StringComparison.Ordinal);
        if (!quote) return s;
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }
        // A literal ${ must not be read back as an interpolation.
        return sb.Append('"').ToString().Replace("${", "$${", StringComparison.Ordinal);
    }
}
