using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Runner.Pipeline.Runs;
using static Runner.Pipeline.Reports.Html;

namespace Runner.Pipeline.Reports;

/// <summary>The feature sections: topic matching (toy runs) and top-activating examples.</summary>
public static partial class RunReport
{
    /// <summary>At most this many features get an example card (the file keeps them all).</summary>
    internal const int MaxFeatureCards = 48;

    // Returns feature -> the topics it matches, to tag the example cards.
    private static Dictionary<int, List<string>> Topics(StringBuilder b, string dir)
    {
        var tags = new Dictionary<int, List<string>>();
        var node = ReportData.Read(Path.Combine(dir, RunFolder.StagesFolder, "evaluate", "topic_matching.json"), out var problem);
        if (node is null && problem is null) return tags;
        b.Append("<h2 id=\"topics\">Topic matching</h2>\n");
        if (node?["topics"] is not JsonObject topics) { b.Append(Note(problem ?? "topic_matching.json has no topics object.")); return tags; }
        b.Append(Note($"Planted topics and the SAE features that fire on them: precision = the fraction of a feature's firings on the topic's tokens, " +
            $"recall = the fraction of the topic's tokens it fires on. The auto feature has the highest recall among precision ≥ {N(ReportData.Number(node["threshold"]))}; " +
            $"{N(ReportData.Number(node["topics_recovered"]))} of {topics.Count} topics have one. Raw = the best single activation direction (the baseline)."));
        static string Match(JsonNode? m) => m is null ? "<span class=\"cached\">none</span>"
            : $"<b>{E(ReportData.Text(m["feature"]))}</b> {PrecisionRecall(m)}";
        var rows = new List<string[]>();
        foreach (var (topic, t) in topics)
        {
            var matching = (t?["matching_features"] as JsonArray)?.Select(f => (int)ReportData.Number(f)).ToList() ?? [];
            foreach (var f in matching) Tag(tags, f, topic);
            if (t?["auto"]?["feature"] is { } auto) Tag(tags, (int)ReportData.Number(auto), topic + " (auto)");
            var raw = t?["raw"];
            rows.Add(
            [
                E(topic), $"<span class=\"mono\">{E(N(ReportData.Number(t?["tokens"])))}</span>", Match(t?["auto"]), Match(t?["best"]), Match(t?["best_f1"]),
                $"<span class=\"mono\">{E(string.Join(", ", matching))}</span>",
                raw is null ? "" : $"{E(ReportData.Text(raw["direction"]))}{(ReportData.Number(raw["sign"]) < 0 ? "−" : "+")} {PrecisionRecall(raw)}",
            ]);
        }
        Table(b, ["topic", "tokens", "auto feature (precision / recall)", "best precision", "best F1", "matching features", "raw direction"], rows, "topics");
        return tags;
    }

    private static string PrecisionRecall(JsonNode m) =>
        $"<span class=\"mono pr\">{F3(ReportData.Number(m["precision"]))} / {F3(ReportData.Number(m["recall"]))}</span>";

    private static string F3(double v) => double.IsFinite(v) ? v.ToString("F3", CultureInfo.InvariantCulture) : E(N(v));

    private static void Tag(Dictionary<int, List<string>> tags, int feature, string topic)
    {
        if (!tags.TryGetValue(feature, out var list)) tags[feature] = list = [];
        // "bridge (auto)" replaces "bridge".
        list.Remove(topic.Replace(" (auto)", "", StringComparison.Ordinal));
        if (!list.Contains(topic)) list.Add(topic);
    }

    private static void TopExamples(StringBuilder b, string dir, Dictionary<int, List<string>> tags)
    {
        var node = ReportData.Read(Path.Combine(dir, RunFolder.StagesFolder, "evaluate", "top_examples.json"), out var problem);
        if (node is null && problem is null) return;
        b.Append("<h2 id=\"examples\">Top-activating examples</h2>\n");
        if (node?["features"] is not JsonArray features) { b.Append(Note(problem ?? "top_examples.json has no features array.")); return; }
        b.Append(Note($"{features.Count} features with the highest max activation" +
            (features.Count > MaxFeatureCards ? $" (the first {MaxFeatureCards} here; all in stages/evaluate/top_examples.json)" : "") +
            ". Each token is shaded by its activation relative to the feature's max where it is known (the example positions; " +
            "other context tokens carry no recorded activation); the example's own token is bold."));
        b.Append("<div class=\"features\">\n");
        foreach (var f in features.Take(MaxFeatureCards).OfType<JsonObject>()) FeatureCard(b, f, tags);
        b.Append("</div>\n");
    }

    private static void FeatureCard(StringBuilder b, JsonObject f, Dictionary<int, List<string>> tags)
    {
        var id = (int)ReportData.Number(f["feature"]);
        var max = ReportData.Number(f["max_activation"]);
        var examples = (f["examples"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
        // Activations known per (sequence, position): the examples themselves, which may fall in each other's context.
        var known = new Dictionary<(long, long), double>();
        foreach (var ex in examples)
            known.TryAdd(((long)ReportData.Number(ex["sequence"]), (long)ReportData.Number(ex["position"])), ReportData.Number(ex["activation"]));
        b.Append($"<div class=\"feature\" data-feature=\"{id}\"><h3>feature {id} <small>max {E(N(max))} · density {E(N(ReportData.Number(f["density"])))}</small>");
        if (tags.TryGetValue(id, out var topics)) foreach (var t in topics) b.Append($"<span class=\"tag\">{E(t)}</span>");
        b.Append("</h3>\n");
        foreach (var ex in examples) Example(b, ex, max, known);
        b.Append("</div>\n");
    }

    private static void Example(StringBuilder b, JsonObject ex, double max, Dictionary<(long, long), double> known)
    {
        var tokens = (ex["context_tokens"] as JsonArray)?.Select(ReportData.Text).ToList() ?? [ReportData.Text(ex["token"])];
        var at = (int)ReportData.Number(ex["token_index_in_context"]);
        if (at < 0 || at >= tokens.Count) (tokens, at) = ([ReportData.Text(ex["token"])], 0);
        var sequence = (long)ReportData.Number(ex["sequence"]);
        var first = (long)ReportData.Number(ex["position"]) - at;
        // Byte-level BPE tokens carry their own spaces; word-level (toy) tokens need one between them.
        var sep = tokens.Any(t => t.Length > 0 && char.IsWhiteSpace(t[0])) ? "" : " ";
        string Token(int i)
        {
            var text = E(tokens[i].Replace("\n", "↵", StringComparison.Ordinal).Replace("\t", "→", StringComparison.Ordinal));
            if (!known.TryGetValue((sequence, first + i), out var a)) return i == at ? $"<i class=\"max\">{text}</i>" : text;
            var alpha = max > 0 ? Math.Clamp(a / max, 0, 1) : 0;
            return $"<i{(i == at ? " class=\"max\"" : "")} style=\"--a:{alpha.ToString("0.##", CultureInfo.InvariantCulture)}\" title=\"{E(N(a))}\">{text}</i>";
        }
        var left = string.Join(sep, Enumerable.Range(0, at).Select(Token));
        var right = string.Join(sep, Enumerable.Range(at + 1, tokens.Count - at - 1).Select(Token));
        b.Append($"<div class=\"ex\"><span class=\"act\">{F3(ReportData.Number(ex["activation"]))}</span>")
            .Append($"<span class=\"l\"><span>{left}{(left.Length > 0 ? sep : "")}</span></span>{Token(at)}<span class=\"r\">{(right.Length > 0 ? sep : "")}{right}</span></div>\n");
    }
}
