using System.Globalization;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Cli.Rendering;

/// <summary>The final summary of a run: one row per point, its status and every final metric.</summary>
public static class Summary
{
    /// <summary>Up to this many runs the table has a column per run and a row per metric.</summary>
    public const int TransposeUpTo = 6;

    /// <summary>With more metrics than this, the table shows only <see cref="KeyMetrics"/>.</summary>
    public const int MaxMetrics = 40;

    /// <summary>The metrics that say whether an experiment worked, shown when there are too many to show all.</summary>
    public static readonly IReadOnlySet<string> KeyMetrics = new HashSet<string>(StringComparer.Ordinal)
    {
        "pretrain.eval_loss", "pretrain.bigram_loss", "train.loss", "train.dead_fraction",
        "evaluate.fvu", "evaluate.explained_variance", "evaluate.l0", "evaluate.dead_fraction", "evaluate.mmcs",
        "evaluate.mean_max_decoder_cosine", "evaluate.decoder_pairs_above_0_95",
        "evaluate.ce_loss_clean", "evaluate.ce_loss_spliced", "evaluate.ce_loss_zero_ablated", "evaluate.ce_loss_recovered", "evaluate.kl_spliced",
        "evaluate.topics_recovered", "evaluate.topics.mean_precision", "evaluate.topics.mean_recall", "evaluate.topics.mean_raw_precision",
    };

    /// <summary>Writes the table and where each run folder is.</summary>
    public static void Write(CliContext context, LoadedExperiment experiment, ExecutionReport report)
    {
        var o = context.Out;
        var metricNames = report.Points.Where(p => p.Record is not null)
            .SelectMany(p => p.Record!.Metrics.Keys).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        var all = metricNames.Count;
        if (all > MaxMetrics)
        {
            // Too many to read (per-topic and per-setting metrics): the key ones here, every one in `runner show`.
            var key = metricNames.Where(m => KeyMetrics.Contains(m)).ToList();
            if (key.Count > 0) metricNames = key;
        }
        static string Status(PointReport p) => p.Error is not null ? "failed" : p.Killed ? "killed" : p.Skipped ? "skipped" : "ok";
        static string Value(PointReport p, string m) => p.Record is { } r && r.Metrics.TryGetValue(m, out var v) ? Format(v) : "";
        o.WriteLine();
        o.WriteLine($"{experiment.Name}: {report.Points.Count(p => p.Error is null && !p.Skipped && !p.Killed)} of {report.Points.Count} run{(report.Points.Count == 1 ? "" : "s")} succeeded");
        if (report.Points.Count <= TransposeUpTo)
        {
            // Few runs, many metrics: one row per metric reads better than a very wide line.
            var rows = new List<string[]> { report.Points.Select(Status).Prepend("status").ToArray() };
            rows.AddRange(metricNames.Select(m => report.Points.Select(p => Value(p, m)).Prepend(m).ToArray()));
            TextTable.Write(o, ["metric", .. report.Points.Select(p => p.Point.RunName)], rows);
        }
        else
        {
            var rows = report.Points.Select(p => new[] { p.Point.RunName, Status(p) }.Concat(metricNames.Select(m => Value(p, m))).ToArray()).ToList();
            TextTable.Write(o, ["run", "status", .. metricNames], rows);
        }
        if (metricNames.Count < all)
            o.WriteLine($"  (the key {metricNames.Count} of {all} metrics; every one: ./runner show RUN_DIR, or RUN_DIR/metrics.json)");
        foreach (var p in report.Points.Where(p => p.RunDirectory is not null))
            o.WriteLine($"  {p.Point.RunName}: {Path.GetRelativePath(context.WorkingDirectory, p.RunDirectory!)}");
    }

    /// <summary>A metric as people read it: 4 significant digits, invariant culture.</summary>
    public static string Format(double v) =>
        double.IsFinite(v) ? v.ToString(Math.Abs(v) is >= 1e-3 and < 1e6 or 0 ? "0.####" : "0.###e+0", CultureInfo.InvariantCulture)
            : double.IsNaN(v) ? "NaN" : v > 0 ? "inf" : "-inf";
}
