using System.Text;
using System.Text.Json.Nodes;
using Runner.Pipeline.Runs;
using static Runner.Pipeline.Reports.Html;

namespace Runner.Pipeline.Reports;

/// <summary>The steering section: the per-setting summary and, per prompt, completions with and without each clamp.</summary>
public static partial class RunReport
{
    /// <summary>Completions shown per prompt and setting (the same sample indices for every setting).</summary>
    internal const int MaxSamplesShown = 3;

    private static readonly HashSet<string> SummaryFixed = ["setting", "on", "clamps"];

    private static void Steering(StringBuilder b, string dir)
    {
        var steer = Path.Combine(dir, RunFolder.StagesFolder, "steer");
        var summary = ReportData.Read(Path.Combine(steer, "summary.json"), out var summaryProblem) as JsonArray;
        var settings = ReportData.Read(Path.Combine(steer, "settings.json"), out var settingsProblem) as JsonArray;
        var completions = ReportData.ReadLines(Path.Combine(steer, "completions.jsonl"), out var completionsProblem);
        if (summary is null && completions is null && summaryProblem is null && completionsProblem is null) return;
        b.Append("<h2 id=\"steering\">Steering</h2>\n");
        foreach (var p in new[] { summaryProblem, settingsProblem, completionsProblem }) if (p is not null) b.Append(Note(p));

        // Clamps per setting label, from settings.json, else summary.json.
        var clamps = new Dictionary<string, JsonArray?>(StringComparer.Ordinal);
        foreach (var s in (settings ?? []).OfType<JsonObject>()) clamps.TryAdd(ReportData.Text(s["label"]), s["clamps"] as JsonArray);
        foreach (var s in (summary ?? []).OfType<JsonObject>()) clamps.TryAdd(ReportData.Text(s["setting"]), s["clamps"] as JsonArray);

        if (summary is not null) SteeringSummary(b, summary);
        if (completions is not null) Completions(b, completions, clamps);
    }

    private static void SteeringSummary(StringBuilder b, JsonArray summary)
    {
        var rows = summary.OfType<JsonObject>().ToList();
        var columns = rows.SelectMany(r => r.Select(p => p.Key)).Where(k => !SummaryFixed.Contains(k)).Distinct().ToList();
        Table(b, ["setting", "prompts", "clamps", .. columns.Select(c => E(c.Replace('_', ' ')))], rows.Select(r =>
        {
            var cells = new List<string> { E(ReportData.Text(r["setting"])), E(ReportData.Text(r["on"])), E(DescribeClamps(r["clamps"] as JsonArray)) };
            cells.AddRange(columns.Select(c => r[c] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
                ? $"<span class=\"mono\">{E(N(ReportData.Number(v)))}</span>" : E(ReportData.Text(r[c]))));
            return cells;
        }), "summary");
    }

    private static void Completions(StringBuilder b, List<JsonObject> lines, Dictionary<string, JsonArray?> clamps)
    {
        var byPrompt = lines.GroupBy(l => ReportData.Text(l["prompt"]), StringComparer.Ordinal).ToList();
        var samples = lines.Select(l => (int)ReportData.Number(l["sample"])).Where(s => s >= 0).Distinct().Order().ToList();
        var shown = samples.Take(MaxSamplesShown).ToList();
        b.Append("<h3>Completions</h3>\n");
        b.Append(Note($"Per prompt: the unclamped baseline (shaded) and every setting, samples {string.Join(", ", shown)} of {samples.Count}" +
            " (the same sample index in a column for every setting). Every sample is in completions.jsonl."));
        var openedGroups = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prompt in byPrompt)
        {
            var settingsHere = prompt.Select(l => ReportData.Text(l["setting"])).Distinct(StringComparer.Ordinal).ToList();
            // The baseline first: the first setting of this prompt that clamps nothing.
            var baseline = settingsHere.FirstOrDefault(s => clamps.TryGetValue(s, out var c) ? c is null || c.Count == 0 : s.StartsWith("baseline", StringComparison.Ordinal));
            if (baseline is not null) settingsHere = [baseline, .. settingsHere.Where(s => s != baseline)];
            var text = prompt.ToLookup(l => (ReportData.Text(l["setting"]), (int)ReportData.Number(l["sample"])), l => ReportData.Text(l["text"]));
            // Open the first prompt of each group of settings (plain prompts, topic prompts) so the page shows both kinds.
            var open = openedGroups.Add(string.Join("|", settingsHere));
            b.Append($"<details class=\"prompt-block\"{(open ? " open" : "")}><summary>prompt <span class=\"prompt\">{E(prompt.Key)}</span></summary>\n");
            Table(b, ["setting", .. shown.Select(s => $"sample {s}")], settingsHere.Select(s =>
                new[] { $"{E(s)}<small>{E(clamps.TryGetValue(s, out var c) ? DescribeClamps(c) : "")}</small>" }
                    .Concat(shown.Select(i => E(string.Join(" ", text[(s, i)])))).ToArray()),
                "steer", rowClass: r => r == 0 && baseline is not null ? "base" : null, cellClass: c => c == 0 ? "setting" : "text");
            b.Append("</details>\n");
        }
    }

    // "f14, f68 value 0; f3 scale 2": clamps of one mode and amount are listed together.
    private static string DescribeClamps(JsonArray? clamps)
    {
        if (clamps is null || clamps.Count == 0) return "none";
        return string.Join("; ", clamps.Select(c => c is JsonObject o
                ? (Feature: $"f{ReportData.Text(o["feature"])}", How: $"{ReportData.Text(o["mode"])} {N(ReportData.Number(o["amount"]))}".Trim())
                : (Feature: ReportData.Text(c), How: ""))
            .GroupBy(c => c.How, StringComparer.Ordinal)
            .Select(g => $"{string.Join(", ", g.Select(c => c.Feature))} {g.Key}".Trim()));
    }
}
