using System.Globalization;
using System.Text.Json.Nodes;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Stages;

namespace Runner.Cli.Rendering;

/// <summary>
/// After the metric table, for runs whose steer stage measured a topic: one row per steering setting (share of
/// generated words on the topic and on other topics, fluency) and a few generations side by side, so the effect of a
/// clamp is visible at a glance. A collapse of fluency is said in words, not hidden.
/// </summary>
public static class SteeringSummary
{
    /// <summary>Writes the steering tables of every run of <paramref name="report"/> that has them.</summary>
    public static void Write(CliContext context, ExecutionReport report)
    {
        foreach (var point in report.Points.Where(p => p.RunDirectory is not null && p.Error is null))
        {
            var steer = Path.Combine(point.RunDirectory!, RunFolder.StagesFolder, "steer");
            var summaryFile = Path.Combine(steer, "summary.json");
            if (!File.Exists(summaryFile)) continue;
            if (JsonNode.Parse(File.ReadAllText(summaryFile)) is not JsonArray settings || settings.Count == 0 || settings[0]?["topic_fraction"] is null) continue;
            Write(context, point.Point.RunName, settings, Path.Combine(steer, "completions.jsonl"));
        }
    }

    private static void Write(CliContext context, string run, JsonArray settings, string completions)
    {
        var o = context.Out;
        var topic = (string?)settings[0]!["topic"] ?? "topic";
        o.WriteLine();
        o.WriteLine($"{run}: steering ({topic} words among generated tokens; fluency = complete sentences that parse as a corpus template)");
        var rows = settings.Select(s => new[]
        {
            (string)s!["setting"]!,
            (string)s["on"]! == "topic_prompts" ? topic + " prompts" : "prompts",
            Percent((double)s["topic_fraction"]!),
            Percent((double)s["other_topic_fraction"]!),
            Percent((double)s["fluency"]!),
        }).ToList();
        TextTable.Write(o, ["setting", "from", $"{topic} words", "other topics", "fluency"], rows);

        var broken = settings.Where(s => (double)s!["fluency"]! < 0.5 && (long)s["sentences"]! > 0).Select(s => (string)s!["setting"]!).ToList();
        if (broken.Count > 0)
            o.WriteLine($"  fluency falls below 50% for {string.Join(", ", broken)}: the model is obsessed with the concept but no longer writes the corpus's sentences.");

        if (!File.Exists(completions)) return;
        // The first sample of the first prompt of each prompt set, per setting: the same draw, only the clamp differs.
        var firsts = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        var firstPrompt = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(completions))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var c = JsonNode.Parse(line)!;
            var setting = (string)c["setting"]!;
            if (firsts.ContainsKey(setting) || (int)c["sample"]! != 0) continue;
            firsts[setting] = c;
        }
        o.WriteLine();
        o.WriteLine($"{run}: generations (sample 0 of the first prompt; every setting draws with the same seed)");
        foreach (var s in settings)
        {
            var name = (string)s!["setting"]!;
            if (!firsts.TryGetValue(name, out var c)) continue;
            var text = ((string)c["prompt"]! + " | " + (string)c["text"]!).ReplaceLineEndings(" ");
            o.WriteLine($"  {name,-22} {Clip(text, 110)}");
        }
    }

    private static string Percent(double v) => (100 * v).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Clip(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "…";
}
