using System.CommandLine;
using System.Xml;
using Runner.Core;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner check SPEC... --baseline FILE [--seeds N] [--junit OUT.xml] [--update]</c>: runs the specs as <c>runner run</c>
/// does (cache allowed), once or at N seeds, and compares their metrics (or the means of the seeds) with a committed
/// baseline: values with hand-set tolerances (version 1) or seed bands (version 2, <c>runner baseline</c>). A metric
/// whose definition changed since the baseline was measured is not compared (a row says which change). A metric's key is
/// <c>EXPERIMENT/metric</c> for a spec without a sweep (<c>nightly-toy/evaluate.fvu</c>) and
/// <c>EXPERIMENT/RUN/metric</c> for a sweep point (<c>nightly-synthetic/k=4/evaluate.fvu</c>), the run folder's path
/// under the runs folder. Exit 0 when every baseline metric is within tolerance, 1 on a regression or a missing metric.
/// </summary>
public static class CheckCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var specs = new Argument<string[]>("SPEC") { Description = "The experiment specs (YAML) whose metrics the baseline holds.", Arity = ArgumentArity.OneOrMore };
        var baseline = new Option<string>("--baseline") { Description = "The baseline file (JSON): values with tolerances, or seed bands written by runner baseline (see README, \"Regression checks\").", Required = true };
        var junit = new Option<string?>("--junit") { Description = "Also write a JUnit XML report: one test case per baseline metric." };
        var update = new Option<bool>("--update") { Description = "Rewrite a version 1 baseline with the observed values (tolerances and directions kept); creates it with every metric when absent. Seed bands are re-measured with runner baseline." };
        var seeds = new Option<int?>("--seeds") { Description = "Run each spec at N seeds (the spec's seed and the next N−1) and compare the means, a band's tolerance narrowed to the noise of a mean of N (for metrics too noisy at one seed)." };
        var metric = new Option<string[]>("--metric") { Description = "Check only the baseline's metrics whose key or name matches this pattern (* matches anything; repeatable); a pattern that matches none of the baseline's metrics is an error (exit 2)." };
        var set = SpecOptions.Set();
        var device = new Option<string?>("--device") { Description = "auto, cpu, cuda or cuda:N (same as --set device=…)." };
        var runsDir = new Option<string?>("--runs-dir") { Description = "Where run folders go (default: runs)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "The stage cache (default: the spec's cache.dir, $RUNNER_CACHE, .runner/cache)." };
        var command = new Command("check", "Run specs and compare their metrics with a regression baseline or seed bands (exit 1 on a regression).")
        {
            specs, baseline, junit, update, seeds, metric, set, device, runsDir, cacheDir,
        };
        command.SetAction(r => Check(context, r.GetValue(specs)!, r.GetValue(baseline)!, r.GetValue(junit), r.GetValue(update), r.GetValue(seeds),
            r.GetValue(metric) ?? [], r.GetValue(set), r.GetValue(device), r.GetValue(runsDir), r.GetValue(cacheDir)));
        return command;
    }

    private static int Check(CliContext context, string[] specPaths, string baselinePath, string? junitPath, bool update, int? seeds,
        string[] patterns, string[]? set, string? device, string? runsDir, string? cacheDir)
    {
        if (seeds is < 2) throw new RunnerException($"--seeds must be at least 2 (the mean of one seed is a plain check: leave --seeds out), got {seeds}", 2);
        if (seeds is not null && update) throw new RunnerException("--update takes one run's values; it does not combine with --seeds (measure seed bands with runner baseline --seeds N --out FILE)", 2);
        var baselineFile = Path.GetFullPath(baselinePath, context.WorkingDirectory);
        // Validate the baseline before spending minutes on runs; with --update a missing file is created.
        var baseline = update && !File.Exists(baselineFile) ? null : Baseline.Load(baselineFile, baselinePath);
        if (update && baseline is { IsBand: true })
            throw new RunnerException($"{baselinePath} is a seed band file: re-measure it with runner baseline SPEC... --seeds N --out {baselinePath} (--update rewrites version 1 baselines)", 2);
        if (patterns.Length > 0 && update) throw new RunnerException("--metric selects what to check; --update rewrites every metric of the baseline: use one or the other", 2);
        if (patterns.Length > 0 && baseline is not null)
        {
            var matchers = patterns.Select(p => (Pattern: p, Regex: MetricPattern.Regex(p))).ToList();
            var missing = matchers.Where(m => !baseline.Metrics.Any(e => MetricPattern.Matches(m.Regex, e.Key))).Select(m => m.Pattern).ToList();
            if (missing.Count > 0)
                throw new RunnerException($"{baselinePath}: no metric matches --metric {string.Join(", ", missing)} (it has {string.Join(", ", baseline.Metrics.Take(4).Select(e => e.Key))}{(baseline.Metrics.Count > 4 ? $" and {baseline.Metrics.Count - 4} more" : "")})", 2);
            baseline.Metrics.RemoveAll(e => !matchers.Any(m => MetricPattern.Matches(m.Regex, e.Key)));
        }

        var observed = SeedRuns.Run(context, specPaths, set, device, cacheDir, runsDir, seeds ?? 0);
        if (update) return Update(context, baseline, baselineFile, baselinePath, observed);

        if (baseline!.Provenance is { } p)
        {
            var here = SeedRuns.DeviceClass(observed.Devices);
            var libtorch = context.EnvironmentFingerprint();
            if (here != p.DeviceClass) context.Error.WriteLine($"note: the bands were measured on {p.DeviceClass}; these runs are on {here}: differences between devices are not seed noise");
            if (libtorch != p.Libtorch) context.Error.WriteLine($"note: the bands were measured with {p.Libtorch}; this is {libtorch}");
        }
        var n = seeds ?? 1;
        var rows = baseline.Metrics.Select(m =>
        {
            double? x = observed.Values.TryGetValue(m.Key, out var list) && list.Count > 0 ? list.Average() : null;
            var change = x is null ? null : Baseline.DefinitionChange(m.Key, m.Value);
            return new Row(m.Key, m.Value, x, n, change is null ? Baseline.Compare(m.Value, x, n) : CheckStatus.DefinitionChanged, change);
        }).ToList();
        // A failed run fails the check even when the baseline names none of its missing metrics.
        rows.AddRange(observed.FailedRuns.Select(run => new Row($"{run}/(run)", new BaselineMetric(), null, n, CheckStatus.RunFailed, null)));
        WriteTable(context, rows, baseline.IsBand);
        foreach (var r in rows.Where(r => r.Status == CheckStatus.DefinitionChanged)) context.Out.WriteLine($"  {r.Name}: {r.Change}");
        if (junitPath is not null)
        {
            var junitFile = Path.GetFullPath(junitPath, context.WorkingDirectory);
            AtomicFile.Write(junitFile, JUnit(rows));
            context.Out.WriteLine($"  junit: {Path.GetRelativePath(context.WorkingDirectory, junitFile)}");
        }
        var failed = rows.Count(r => r.Failed);
        var improved = rows.Count(r => r.Status == CheckStatus.Improved);
        var changed = rows.Count(r => r.Status == CheckStatus.DefinitionChanged);
        var compared = rows.Count - changed;
        var what = baseline.IsBand ? (n > 1 ? $"the means of {n} seeds within the seed bands" : "within the seed bands") : "within the baseline";
        var notCompared = changed == 0 ? "" : $"; {changed} not compared: definition changed (re-measure the baseline)";
        context.Out.WriteLine(failed == 0
            ? $"check: {compared} metric{(compared == 1 ? "" : "s")} {what}{(improved > 0 ? $"; {improved} improved beyond the tolerance (review, then {(baseline.IsBand ? "runner baseline ... --out FILE" : "./runner check ... --update")})" : "")}{notCompared}"
            : $"check: {failed} of {compared} checks failed (REGRESSION, MISSING, NO VALUE or RUN FAILED){notCompared}");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static int Update(CliContext context, Baseline? baseline, string file, string shown, SeedRuns.Observations observed)
    {
        if (observed.FailedRuns.Count > 0)
            throw new RunnerException($"not updating {shown}: {observed.FailedRuns.Count} run{(observed.FailedRuns.Count == 1 ? "" : "s")} failed", 1);
        var updated = new Baseline();
        if (baseline is null)
        {
            foreach (var key in observed.Order)
                updated.Metrics.Add(KeyValuePair.Create(key, NewMetric(observed.Values[key][0]) with { Definition = MetricVersion.Current(Baseline.MetricName(key)) }));
            context.Out.WriteLine($"created {shown} with {observed.Order.Count} metrics (tolerance {Baseline.DefaultRelativeTolerance:0.##} relative, two-sided); keep the ones that matter and set their directions");
        }
        else
        {
            var changed = 0;
            foreach (var (key, m) in baseline.Metrics)
            {
                if (observed.Values.TryGetValue(key, out var x))
                {
                    if (m.Value != x[0]) changed++;
                    // The value is re-measured under today's definition, so the entry records that one.
                    updated.Metrics.Add(KeyValuePair.Create(key, m with { Value = x[0], Definition = MetricVersion.Current(Baseline.MetricName(key)) ?? m.Definition }));
                }
                else
                {
                    context.Error.WriteLine($"warning: {key}: no such metric in the runs; kept as it was");
                    updated.Metrics.Add(KeyValuePair.Create(key, m));
                }
            }
            context.Out.WriteLine($"updated {shown}: {changed} of {baseline.Metrics.Count} values changed (tolerances and directions kept)");
        }
        updated.Save(file);
        return ExitCodes.Ok;
    }

    private static BaselineMetric NewMetric(double value) => value == 0
        ? new BaselineMetric { Value = value, Tolerance = Baseline.DefaultZeroTolerance, Relative = false }
        : new BaselineMetric { Value = value, Tolerance = Baseline.DefaultRelativeTolerance, Relative = true };

    private sealed record Row(string Name, BaselineMetric Expected, double? Observed, int Seeds, CheckStatus Status, string? Change)
    {
        public bool Failed => Status is CheckStatus.Regression or CheckStatus.Missing or CheckStatus.NoValue or CheckStatus.RunFailed;

        public string StatusText => Status switch
        {
            CheckStatus.Ok => "ok",
            CheckStatus.Improved => "ok (improved)",
            CheckStatus.Regression => "REGRESSION",
            CheckStatus.Missing => "MISSING",
            CheckStatus.RunFailed => "RUN FAILED",
            CheckStatus.DefinitionChanged => "not compared: " + Change!.Split(" (", 2)[0],
            _ => "NO VALUE",
        };

        private double Tolerance => Expected.ToleranceFor(Seeds);

        public string Allowed => Expected.Value is not { } v ? "" : Expected.Direction switch
        {
            BaselineDirection.LowerIsBetter => $"<= {Baseline.Show(Math.Round(v + Tolerance, 6))}",
            BaselineDirection.HigherIsBetter => $">= {Baseline.Show(Math.Round(v - Tolerance, 6))}",
            _ => $"{Baseline.Show(Math.Round(v, 6))} ± {Baseline.Show(Math.Round(Tolerance, 6))}",
        };

        /// <summary>How many of the band's standard deviations the observation (or the mean of the seeds) lies from its mean.</summary>
        public string Sigmas => Expected.Band is { } b && Observed is { } x && Status != CheckStatus.DefinitionChanged
            ? b.SigmasAway(x) is { } z ? (z >= 0 ? "+" : "") + z.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "σ" : (x == b.Mean ? "0σ" : "σ = 0")
            : "";

        public string BaselineText => Expected.Band is { } b
            ? $"{Baseline.Show(Math.Round(b.Mean, 6))} ± {Baseline.Show(Math.Round(b.Std, 6))} (n={b.N})"
            : Expected.Value is { } v ? Baseline.Show(Math.Round(v, 6)) : "-";

        public string Message => Status switch
        {
            CheckStatus.Missing => $"{Name}: the runs produced no such metric",
            CheckStatus.RunFailed => $"{Name[..^"/(run)".Length]}: a stage failed (see the error above the table)",
            CheckStatus.NoValue => $"{Name}: the baseline has no value yet (run with --update)",
            CheckStatus.DefinitionChanged => $"{Name}: not compared: {Change}",
            _ => $"{Name}: observed {Baseline.Show(Observed ?? double.NaN)}{(Seeds > 1 ? $" (mean of {Seeds} seeds)" : "")}, allowed {Allowed} ({Baseline.DirectionName(Expected.Direction)}, {(Expected.Band is { } b ? $"band mean {Baseline.Show(b.Mean)}, σ {Baseline.Show(b.Std)}, n {b.N}{(Sigmas.Length > 0 ? $", {Sigmas} away" : "")}" : $"baseline {Baseline.Show(Expected.Value ?? double.NaN)}")})",
        };
    }

    private static void WriteTable(CliContext context, List<Row> rows, bool bands)
    {
        var seeds = rows.FirstOrDefault()?.Seeds ?? 1;
        string[] header = bands
            ? ["metric", "band (mean ± σ)", seeds > 1 ? $"observed (mean of {seeds})" : "observed", "allowed", "σ away", "status"]
            : ["metric", "baseline", seeds > 1 ? $"observed (mean of {seeds})" : "observed", "allowed", "status"];
        var cells = rows.Select(r => (bands
            ? new[] { r.Name, r.BaselineText, r.Observed is { } x ? Baseline.Show(Math.Round(x, 6)) : "-", r.Allowed, r.Sigmas, r.StatusText }
            : [r.Name, r.BaselineText, r.Observed is { } y ? Baseline.Show(Math.Round(y, 6)) : "-", r.Allowed, r.StatusText])).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, cells.Select(c => c[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        string Line(string[] c) => string.Join("  ", c.Select((s, i) => i == c.Length - 1 ? s : s.PadRight(widths[i]))).TrimEnd();
        context.Out.WriteLine();
        context.Out.WriteLine(Line(header));
        foreach (var c in cells) context.Out.WriteLine(Line(c));
    }

    private static string JUnit(List<Row> rows)
    {
        var sb = new System.Text.StringBuilder();
        using (var w = XmlWriter.Create(sb, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true }))
        {
            var failures = rows.Count(r => r.Failed);
            var skipped = rows.Count(r => r.Status == CheckStatus.DefinitionChanged);
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("tests", rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteAttributeString("failures", failures.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteStartElement("testsuite");
            w.WriteAttributeString("name", "runner check");
            w.WriteAttributeString("tests", rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteAttributeString("failures", failures.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteAttributeString("errors", "0");
            w.WriteAttributeString("skipped", skipped.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var r in rows)
            {
                var slash = r.Name.LastIndexOf('/');
                w.WriteStartElement("testcase");
                w.WriteAttributeString("classname", slash < 0 ? "" : r.Name[..slash]);
                w.WriteAttributeString("name", slash < 0 ? r.Name : r.Name[(slash + 1)..]);
                w.WriteAttributeString("time", "0");
                if (r.Status == CheckStatus.DefinitionChanged)
                {
                    // Neither a pass nor a fail: JUnit's skipped.
                    w.WriteStartElement("skipped");
                    w.WriteAttributeString("message", r.Message);
                    w.WriteEndElement();
                }
                else if (r.Failed)
                {
                    w.WriteStartElement("failure");
                    w.WriteAttributeString("message", r.Message);
                    w.WriteAttributeString("type", r.StatusText);
                    w.WriteString(r.Message);
                    w.WriteEndElement();
                }
                else
                {
                    w.WriteStartElement("system-out");
                    w.WriteString(r.Message);
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + sb + "\n";
    }
}
