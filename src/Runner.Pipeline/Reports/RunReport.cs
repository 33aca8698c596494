using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Runner.Pipeline.Runs;
using static Runner.Pipeline.Reports.Html;

namespace Runner.Pipeline.Reports;

/// <summary>
/// A run's self-contained HTML report, <c>report.html</c> in the run folder: the header and stage table, key
/// metrics, training curves, the feature-density histogram, the topic matching (toy runs), top-activating examples
/// and steering completions. Each section is drawn from the file it needs and left out when the run has none.
/// </summary>
public static partial class RunReport
{
    /// <summary>The report's file name in the run folder.</summary>
    public const string FileName = "report.html";

    /// <summary>Metrics shown as cards at the top, in this order, when the run has them: (label, metric).</summary>
    internal static readonly (string Label, string Metric)[] KeyMetrics =
    [
        ("FVU", "evaluate.fvu"), ("L0", "evaluate.l0"), ("explained variance", "evaluate.explained_variance"),
        ("CE loss recovered", "evaluate.ce_loss_recovered"), ("KL score", "evaluate.kl_score"),
        ("dead fraction", "evaluate.dead_fraction"), ("dense fraction", "evaluate.dense_fraction"),
        ("mean max decoder cosine", "evaluate.mean_max_decoder_cosine"), ("decoder pairs > 0.95", "evaluate.decoder_pairs_above_0_95"),
        ("MMCS (true features)", "evaluate.mmcs"), ("MCC (true features)", "evaluate.mcc"),
        ("topics recovered", "evaluate.topics_recovered"), ("LM eval loss", "pretrain.eval_loss"),
        ("LM bigram loss", "pretrain.bigram_loss"), ("SAE train loss", "train.loss"), ("SAE train tokens", "train.tokens"),
    ];

    /// <summary>
    /// Writes <c>report.html</c> into <paramref name="runDirectory"/> from whatever the run has (atomically) and
    /// returns its path. A folder without a readable <c>stages.json</c> is a RunnerException (exit 2).
    /// </summary>
    public static string Write(string runDirectory)
    {
        var dir = Path.GetFullPath(runDirectory);
        var record = RunFolder.Read(dir);
        var path = Path.Combine(dir, FileName);
        WriteAtomically(path, Render(dir, record));
        return path;
    }

    internal static string Render(string dir, RunRecord record)
    {
        var b = new StringBuilder();
        Header(b, record);
        Metrics(b, record);
        Curves(b, dir);
        Density(b, dir);
        var topics = Topics(b, dir);
        TopExamples(b, dir, topics);
        Steering(b, dir);
        return Page($"{record.Experiment} / {record.RunName}", b.ToString());
    }

    private static void Header(StringBuilder b, RunRecord r)
    {
        b.Append($"<h1>{E(r.Experiment)} <small>/ {E(r.RunName)}</small></h1>\n");
        var when = r.Started == default ? "" : $" · {E(r.Started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture))} UTC, {E((r.Finished - r.Started).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture))} s";
        b.Append($"<p class=\"meta\">point {r.Point} · spec <code title=\"{E(r.SpecHash)}\">{E(Short(r.SpecHash))}</code>{when} · <code>{E(r.Environment)}</code></p>\n");
        if (r.Error is not null) b.Append($"<p class=\"meta\"><span class=\"bad\">{E(r.Status)}</span>: {E(r.Error)}</p>\n");
        if (r.Varied.Count > 0)
            b.Append("<p class=\"meta\">").Append(string.Join(" · ", r.Varied.Select(v => $"<code>{E(v.Key)} = {E(ReportData.Text(v.Value))}</code>"))).Append("</p>\n");
        Table(b, ["stage", "status", "seconds", "key"], r.Stages.Select(s => new[]
        {
            E(s.Name),
            s.Status switch
            {
                StageStatus.Computed => "<span class=\"ok\">computed</span>",
                StageStatus.Cached => "<span class=\"cached\">cached</span>",
                _ => $"<span class=\"bad\" title=\"{E(s.Error ?? "")}\">{E(RunFolder.StatusText(s.Status))}</span>",
            },
            $"<span class=\"mono\">{E(s.Seconds.ToString("F1", CultureInfo.InvariantCulture))}</span>",
            $"<code title=\"{E(s.Key)}\">{E(Short(s.Key))}</code>",
        }), "stages");
    }

    private static void Metrics(StringBuilder b, RunRecord r)
    {
        var metrics = r.Metrics;
        b.Append("<h2 id=\"metrics\">Key metrics</h2>\n");
        var cards = KeyMetrics.Where(k => metrics.ContainsKey(k.Metric)).Select(k => (k.Label, k.Metric, metrics[k.Metric])).ToList();
        if (cards.Count > 0) Cards(b, cards);
        if (metrics.Count == 0) { b.Append(Note("This run recorded no metrics.")); return; }
        b.Append($"<details><summary>All {metrics.Count} metrics</summary>");
        Table(b, ["metric", "value"], metrics.OrderBy(m => m.Key, StringComparer.Ordinal)
            .Select(m => new[] { $"<code>{E(m.Key)}</code>", $"<span class=\"mono\">{E(N(m.Value))}</span>" }));
        b.Append("</details>\n");
    }

    private static void Curves(StringBuilder b, string dir)
    {
        var train = ReportData.Read(Path.Combine(dir, RunFolder.StagesFolder, "train", "curves.json"), out var trainProblem) as JsonArray;
        var pretrain = ReportData.Read(Path.Combine(dir, RunFolder.StagesFolder, "pretrain", "curves.json"), out var pretrainProblem) as JsonArray;
        if (train is null && pretrain is null && trainProblem is null && pretrainProblem is null) return;
        b.Append("<h2 id=\"curves\">Training curves</h2>\n<div class=\"charts\">\n");
        if (train is not null)
        {
            foreach (var (field, title, axis) in new[] { ("loss", "SAE loss", "loss"), ("mse", "SAE reconstruction MSE", "MSE"), ("l0", "SAE L0 (active latents per token)", "L0"), ("dead_fraction", "SAE dead fraction", "dead fraction") })
                if (field != "dead_fraction" || train.Any(row => row?[field] is not null))
                    b.Append(Curve($"curve-train-{field.Replace('_', '-')}", title, train, field, axis));
        }
        if (pretrain is not null) b.Append(Curve("curve-pretrain-loss", "Language model training loss", pretrain, "loss", "loss (nats per token)"));
        b.Append("</div>\n");
        if (trainProblem is not null) b.Append(Note(trainProblem));
        if (pretrainProblem is not null) b.Append(Note(pretrainProblem));
    }

    // x is tokens when every row has them, otherwise the step.
    private static string Curve(string id, string title, JsonArray rows, string field, string axis)
    {
        var byTokens = rows.All(r => r?["tokens"] is not null);
        var points = rows.Select(r => (ReportData.Number(r?[byTokens ? "tokens" : "step"]), ReportData.Number(r?[field]))).ToList();
        return $"<figure><figcaption>{E(title)}</figcaption>{SvgChart.Line(id, points, byTokens ? "tokens" : "step", axis, SvgChart.Small)}</figure>\n";
    }

    private static void Density(StringBuilder b, string dir)
    {
        var node = ReportData.Read(Path.Combine(dir, RunFolder.StagesFolder, "evaluate", "density_histogram.json"), out var problem);
        if (node is null && problem is null) return;
        b.Append("<h2 id=\"density\">Feature density</h2>\n");
        if (node?["edges"] is JsonArray edges && node["counts"] is JsonArray counts)
        {
            var e = edges.Select(ReportData.Number).ToList();
            var c = counts.Select(ReportData.Number).ToList();
            // The lowest bin starts at log10(1e-10): features that never fired (density 0 + epsilon).
            var dead = e.Count > 0 && e[0] <= -10 ? c[0] : double.NaN;
            b.Append("<figure class=\"wide\"><figcaption>log10 feature density over the evaluation tokens</figcaption>")
                .Append(SvgChart.Histogram("density-histogram", e, c, "log10(fraction of tokens on which the feature fires)", "features", i => i == 0 && e[0] <= -10, SvgChart.Wide))
                .Append("</figure>\n");
            b.Append(Note($"{N(c.Sum())} features" + (double.IsFinite(dead) ? $"; {N(dead)} never fired (red bar)." : ".")));
        }
        else b.Append(Note(problem ?? "density_histogram.json has no edges and counts arrays."));
    }

    private static string Short(string key) => key.Length > 12 ? key[..12] : key;
}
