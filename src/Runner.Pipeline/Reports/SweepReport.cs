using System.Text;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Runs;
using static Runner.Pipeline.Reports.Html;

namespace Runner.Pipeline.Reports;

/// <summary>
/// A sweep's self-contained HTML report, <c>sweep.html</c> in the experiment folder: a table of the points (varied
/// parameters and key metrics, each linked to its run report) and the L0-vs-FVU scatter with its frontier.
/// </summary>
public static class SweepReport
{
    /// <summary>The report's file name in the experiment folder.</summary>
    public const string FileName = "sweep.html";

    /// <summary>The metrics of the points table, in this order, when any run has them.</summary>
    internal static readonly string[] TableMetrics =
    [
        "evaluate.l0", "evaluate.fvu", "evaluate.explained_variance", "evaluate.ce_loss_recovered", "evaluate.kl_score",
        "evaluate.dead_fraction", "evaluate.dense_fraction", "evaluate.mmcs", "evaluate.mcc", "evaluate.topics_recovered",
        "pretrain.eval_loss", "train.loss",
    ];

    /// <summary>
    /// Writes <c>sweep.html</c> into <paramref name="experimentDirectory"/> (atomically) for the run folders
    /// <paramref name="runDirectories"/> and returns its path. Links point at each run's <c>report.html</c>;
    /// the run reports themselves are written by <see cref="RunReport.Write"/>. An unreadable run folder is a
    /// RunnerException (exit 2).
    /// </summary>
    /// <remarks>
    /// Seed noise: a metric cell whose difference from the column's best run lies within that run's seed band is
    /// marked "within seed noise". Bands come from runs that differ only in <c>seed</c> (then the report also has a
    /// table of means across seeds), else from <paramref name="bandFile"/> (a band file's lookup, see runner report --bands).
    /// </remarks>
    public static string Write(string experimentDirectory, IReadOnlyList<string> runDirectories,
        Func<RunRecord, string, SeedBand?>? bandFile = null, string? bandFileName = null)
    {
        var dir = Path.GetFullPath(experimentDirectory);
        var runs = runDirectories.Select(r => (Dir: Path.GetFullPath(r), Record: RunFolder.Read(Path.GetFullPath(r)))).OrderBy(r => r.Record.Point).ThenBy(r => r.Dir, StringComparer.Ordinal).ToList();
        var path = Path.Combine(dir, FileName);
        WriteAtomically(path, Render(dir, runs, SeedNoise.FromSiblings(runs.Select(r => r.Record), bandFile, bandFileName)));
        return path;
    }

    private static string Render(string dir, List<(string Dir, RunRecord Record)> runs, SeedNoise noise)
    {
        var b = new StringBuilder();
        var experiment = runs.Select(r => r.Record.Experiment).FirstOrDefault() ?? Path.GetFileName(dir);
        b.Append($"<h1>{E(experiment)} <small>/ sweep of {runs.Count} run{(runs.Count == 1 ? "" : "s")}</small></h1>\n");
        var started = runs.Where(r => r.Record.Started != default).Select(r => r.Record.Started).DefaultIfEmpty().Min();
        if (started != default) b.Append($"<p class=\"meta\">started {E(started.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture))} UTC</p>\n");

        string Href(string runDir) => string.Join('/', Path.GetRelativePath(dir, Path.Combine(runDir, RunReport.FileName)).Split(Path.DirectorySeparatorChar).Select(Uri.EscapeDataString));

        b.Append("<h2 id=\"frontier\">L0 vs FVU</h2>\n");
        var points = runs.Select(r => (X: Metric(r.Record, "evaluate.l0"), Y: Metric(r.Record, "evaluate.fvu"), Label: r.Record.RunName, Href: (string?)Href(r.Dir))).ToList();
        b.Append("<figure class=\"wide\"><figcaption>Sparsity against reconstruction, one point per run (lower left is better; red: the frontier)</figcaption>")
            .Append(SvgChart.Scatter("l0-fvu", points, "L0 (active latents per token)", "FVU (fraction of variance unexplained)", SvgChart.Wide))
            .Append("</figure>\n");
        var missing = points.Count(p => !double.IsFinite(p.X) || !double.IsFinite(p.Y));
        if (missing > 0) b.Append(Note($"{missing} run{(missing == 1 ? " has" : "s have")} no evaluate.l0 and evaluate.fvu and {(missing == 1 ? "is" : "are")} not drawn."));

        b.Append("<h2 id=\"points\">Points</h2>\n");
        var varied = runs.SelectMany(r => r.Record.Varied.Select(v => v.Key)).Distinct(StringComparer.Ordinal).ToList();
        b.Append("<div class=\"scroll\">");
        var metrics = TableMetrics.Where(m => runs.Any(r => r.Record.Metrics.ContainsKey(m))).ToList();
        var best = metrics.ToDictionary(m => m, m => Best(runs.Select(r => r.Record), m));
        Table(b, ["run", .. varied.Select(v => $"<code>{E(v)}</code>"), .. metrics.Select(Header), "stages"], runs.Select(r =>
        {
            var cells = new List<string> { $"<a href=\"{E(Href(r.Dir))}\">{E(r.Record.RunName)}</a>" };
            cells.AddRange(varied.Select(v => E(ReportData.Text(r.Record.Varied.FirstOrDefault(p => p.Key == v).Value))));
            cells.AddRange(metrics.Select(m => r.Record.Metrics.TryGetValue(m, out var x) ? $"<span class=\"mono\">{E(N(x))}</span>{NoiseMark(noise, best[m], r.Record, m)}" : ""));
            var computed = r.Record.Stages.Count(s => s.Status == StageStatus.Computed);
            var cached = r.Record.Stages.Count(s => s.Status == StageStatus.Cached);
            var failed = r.Record.Stages.FirstOrDefault(s => s.Status is StageStatus.Failed or StageStatus.Killed);
            cells.Add(E($"{computed} computed, {cached} cached, {(failed is null ? "" : $"{failed.Name} {RunFolder.StatusText(failed.Status)}, ")}{r.Record.Stages.Sum(s => s.Seconds).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)} s"));
            return cells;
        }), "points");
        b.Append("</div>\n");
        b.Append(Note("Each run's name links to its report (report.html in the run folder): curves, feature density, examples, steering."));
        if (noise.Any)
        {
            b.Append(Note("★ marks the best run of a column (where lower or higher is better); ≈ marks a run whose difference from it lies within that run's seed band (max(4σ, floor of the metric's kind)), "
                + (noise.Groups.Count > 0 ? "σ over the runs that differ only in seed" : $"σ from {noise.FileName}") + ": within seed noise, not a real difference. Hover a mark for the numbers."));
            if (noise.Groups.Count > 0) AcrossSeeds(b, runs.Select(r => r.Record).ToList(), noise, metrics);
        }
        return Page($"{experiment}: sweep", b.ToString());
    }

    // The run a column's best value belongs to (lowest or highest, by the metric's direction); null when the metric has none.
    private static RunRecord? Best(IEnumerable<RunRecord> runs, string metric)
    {
        var direction = MetricCatalog.Find(metric)?.Direction ?? MetricDirection.TwoSided;
        if (direction == MetricDirection.TwoSided) return null;
        var candidates = runs.Where(r => r.Metrics.TryGetValue(metric, out var v) && double.IsFinite(v)).ToList();
        if (candidates.Count < 2) return null;
        return direction == MetricDirection.LowerIsBetter ? candidates.MinBy(r => r.Metrics[metric]) : candidates.MaxBy(r => r.Metrics[metric]);
    }

    private static string NoiseMark(SeedNoise noise, RunRecord? best, RunRecord run, string metric)
    {
        if (best is null || !noise.Any || noise.For(best, metric) is not { } band) return "";
        if (ReferenceEquals(best, run)) return $" <span class=\"mark\" title=\"{E($"best of the column; seed band ±{N(band.Band.Tolerance)} ({band.Source})")}\">★</span>";
        var verdict = noise.Verdict(best, run, metric)!;
        var delta = run.Metrics[metric] - best.Metrics[metric];
        return verdict == "within seed noise"
            ? $" <span class=\"mark\" title=\"{E($"within seed noise of {best.RunName}: Δ {N(delta)}, band ±{N(band.Band.Tolerance)} ({band.Source})")}\">≈</span>"
            : "";
    }

    // Runs that differ only in seed, as one row each: the mean ± σ over the seeds, ≈ where a group's mean lies within the
    // best group's band for the mean of its seeds (SeedBand.ToleranceFor).
    private static void AcrossSeeds(StringBuilder b, List<RunRecord> runs, SeedNoise noise, List<string> metrics)
    {
        var groups = runs.Where(r => noise.Groups.ContainsKey(SeedNoise.GroupOf(r))).GroupBy(SeedNoise.GroupOf, StringComparer.Ordinal)
            .Select(g => (Key: g.Key, Name: SeedNoise.NameWithoutSeed(g.First().RunName), Bands: noise.Groups[g.Key])).ToList();
        b.Append("<h2 id=\"seeds\">Across seeds</h2>\n<div class=\"scroll\">");
        var bestGroup = metrics.ToDictionary(m => m, m =>
        {
            var direction = MetricCatalog.Find(m)?.Direction ?? MetricDirection.TwoSided;
            var have = groups.Where(g => g.Bands.ContainsKey(m)).ToList();
            if (direction == MetricDirection.TwoSided || have.Count < 2) return null;
            return (string?)(direction == MetricDirection.LowerIsBetter ? have.MinBy(g => g.Bands[m].Mean) : have.MaxBy(g => g.Bands[m].Mean)).Key;
        });
        Table(b, ["runs", "seeds", .. metrics.Select(Header)], groups.Select(g =>
        {
            var cells = new List<string> { E(g.Name.Length == 0 ? "(one configuration)" : g.Name), E(g.Bands.Values.FirstOrDefault()?.N.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "") };
            cells.AddRange(metrics.Select(m =>
            {
                if (!g.Bands.TryGetValue(m, out var band)) return "";
                var cell = $"<span class=\"mono\">{E(N(band.Mean))} ± {E(N(band.Std))}</span>";
                if (bestGroup[m] is not { } bk) return cell;
                if (bk == g.Key) return cell + " <span class=\"mark\" title=\"best mean of the column\">★</span>";
                var reference = noise.Groups[bk][m];
                var delta = band.Mean - reference.Mean;
                return Math.Abs(delta) <= reference.ToleranceFor(reference.N)
                    ? cell + $" <span class=\"mark\" title=\"{E($"within seed noise of the best: Δ {N(delta)}, tolerance for a mean of {reference.N} seeds ±{N(reference.ToleranceFor(reference.N))}")}\">≈</span>"
                    : cell;
            }));
            return cells;
        }), "seeds");
        b.Append("</div>\n");
        b.Append(Note("Mean ± σ (sample standard deviation) over the runs that differ only in seed; ≈: a mean within the best mean's tolerance for a mean of that many seeds (max(4σ·√((1/N + 1/N)/(1 + 1/N)), floor): two means of N seeds)."));
    }

    // "evaluate.fvu" as a small "evaluate" over "fvu": narrow columns.
    private static string Header(string metric)
    {
        var dot = metric.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? E(metric) : $"<span class=\"stage\">{E(metric[..dot])}</span><br>{E(metric[(dot + 1)..].Replace('_', ' '))}";
    }

    private static double Metric(RunRecord r, string name) => r.Metrics.TryGetValue(name, out var v) ? v : double.NaN;
}
