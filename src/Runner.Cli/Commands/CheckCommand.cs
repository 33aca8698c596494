using System.CommandLine;
using System.Xml;
using Runner.Core;
using Runner.Pipeline.Stages;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner check SPEC... --baseline FILE [--junit OUT.xml] [--update]</c>: runs the specs as <c>runner run</c> does
/// (cache allowed) and compares their metrics with a committed baseline. A metric's key is
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
        var baseline = new Option<string>("--baseline") { Description = "The baseline file (JSON; see README, \"Regression checks\").", Required = true };
        var junit = new Option<string?>("--junit") { Description = "Also write a JUnit XML report: one test case per baseline metric." };
        var update = new Option<bool>("--update") { Description = "Rewrite the baseline with the observed values (tolerances and directions kept); creates it with every metric when absent." };
        var set = SpecOptions.Set();
        var device = new Option<string?>("--device") { Description = "auto, cpu, cuda or cuda:N (same as --set device=…)." };
        var runsDir = new Option<string?>("--runs-dir") { Description = "Where run folders go (default: runs)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "The stage cache (default: the spec's cache.dir, $RUNNER_CACHE, .runner/cache)." };
        var command = new Command("check", "Run specs and compare their metrics with a regression baseline (exit 1 on a regression).")
        {
            specs, baseline, junit, update, set, device, runsDir, cacheDir,
        };
        command.SetAction(r => Check(context, r.GetValue(specs)!, r.GetValue(baseline)!, r.GetValue(junit), r.GetValue(update),
            r.GetValue(set), r.GetValue(device), r.GetValue(runsDir), r.GetValue(cacheDir)));
        return command;
    }

    private static int Check(CliContext context, string[] specPaths, string baselinePath, string? junitPath, bool update,
        string[]? set, string? device, string? runsDir, string? cacheDir)
    {
        var baselineFile = Path.GetFullPath(baselinePath, context.WorkingDirectory);
        // Validate the baseline before spending minutes on runs; with --update a missing file is created.
        var baseline = update && !File.Exists(baselineFile) ? null : Baseline.Load(baselineFile, baselinePath);
        var prepared = specPaths.Select(p => RunCommand.Prepare(context, p, set, device, cacheDir, runsDir)).ToList();
        var duplicate = prepared.GroupBy(p => p.Experiment.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new RunnerException($"two specs are named '{duplicate.Key}'; the baseline keys metrics by experiment name", 2);

        var observed = new Dictionary<string, double>(StringComparer.Ordinal);
        var order = new List<string>();
        var failedRuns = new List<string>();
        var graph = new StageGraph(context.Stages());
        foreach (var (experiment, cache, options) in prepared)
        {
            var report = RunCommand.Execute(context, graph, cache, options, experiment);
            foreach (var point in report.Points)
            {
                var prefix = experiment.IsSweep ? $"{experiment.Name}/{point.Point.RunName}/" : $"{experiment.Name}/";
                if (point.Error is not null || point.Record is null)
                {
                    failedRuns.Add(prefix.TrimEnd('/'));
                    context.Error.WriteLine($"error: run {prefix.TrimEnd('/')} failed: {point.Error?.Message ?? "it did not run"}");
                }
                if (point.Record is null) continue;
                foreach (var (name, value) in point.Record.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    if (observed.TryAdd(prefix + name, value)) order.Add(prefix + name);
                }
            }
        }

        if (update) return Update(context, baseline, baselineFile, baselinePath, observed, order, failedRuns);

        var rows = baseline!.Metrics.Select(m =>
            new Row(m.Key, m.Value, observed.TryGetValue(m.Key, out var x) ? x : null, Baseline.Compare(m.Value, observed.TryGetValue(m.Key, out var y) ? y : null))).ToList();
        // A failed run fails the check even when the baseline names none of its missing metrics.
        rows.AddRange(failedRuns.Select(run => new Row($"{run}/(run)", new BaselineMetric(), null, CheckStatus.RunFailed)));
        WriteTable(context, rows);
        if (junitPath is not null)
        {
            var junitFile = Path.GetFullPath(junitPath, context.WorkingDirectory);
            AtomicFile.Write(junitFile, JUnit(rows));
            context.Out.WriteLine($"  junit: {Path.GetRelativePath(context.WorkingDirectory, junitFile)}");
        }
        var failed = rows.Count(r => r.Status is CheckStatus.Regression or CheckStatus.Missing or CheckStatus.NoValue or CheckStatus.RunFailed);
        var improved = rows.Count(r => r.Status == CheckStatus.Improved);
        context.Out.WriteLine(failed == 0
            ? $"check: {rows.Count} metric{(rows.Count == 1 ? "" : "s")} within the baseline{(improved > 0 ? $"; {improved} improved beyond the tolerance (review, then ./runner check ... --update)" : "")}"
            : $"check: {failed} of {rows.Count} checks failed (REGRESSION, MISSING, NO VALUE or RUN FAILED)");
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static int Update(CliContext context, Baseline? baseline, string file, string shown,
        Dictionary<string, double> observed, List<string> order, List<string> failedRuns)
    {
        if (failedRuns.Count > 0)
            throw new RunnerException($"not updating {shown}: {failedRuns.Count} run{(failedRuns.Count == 1 ? "" : "s")} failed", 1);
        var updated = new Baseline();
        if (baseline is null)
        {
            foreach (var key in order)
                updated.Metrics.Add(KeyValuePair.Create(key, NewMetric(observed[key])));
            context.Out.WriteLine($"created {shown} with {order.Count} metrics (tolerance {Baseline.DefaultRelativeTolerance:0.##} relative, two-sided); keep the ones that matter and set their directions");
        }
        else
        {
            var changed = 0;
            foreach (var (key, m) in baseline.Metrics)
            {
                if (observed.TryGetValue(key, out var x))
                {
                    if (m.Value != x) changed++;
                    updated.Metrics.Add(KeyValuePair.Create(key, m with { Value = x }));
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

    private sealed record Row(string Name, BaselineMetric Expected, double? Observed, CheckStatus Status)
    {
        public string StatusText => Status switch
        {
            CheckStatus.Ok => "ok",
            CheckStatus.Improved => "ok (improved)",
            CheckStatus.Regression => "REGRESSION",
            CheckStatus.Missing => "MISSING",
            CheckStatus.RunFailed => "RUN FAILED",
            _ => "NO VALUE",
        };

        public string Allowed => Expected.Value is not { } v ? "" : Expected.Direction switch
        {
            BaselineDirection.LowerIsBetter => $"<= {Baseline.Show(Math.Round(v + Expected.AbsoluteTolerance, 6))}",
            BaselineDirection.HigherIsBetter => $">= {Baseline.Show(Math.Round(v - Expected.AbsoluteTolerance, 6))}",
            _ => $"{Baseline.Show(Math.Round(v, 6))} ± {Baseline.Show(Math.Round(Expected.AbsoluteTolerance, 6))}",
        };

        public string Message => Status switch
        {
            CheckStatus.Missing => $"{Name}: the runs produced no such metric",
            CheckStatus.RunFailed => $"{Name[..^"/(run)".Length]}: a stage failed (see the error above the table)",
            CheckStatus.NoValue => $"{Name}: the baseline has no value yet (run with --update)",
            _ => $"{Name}: observed {Baseline.Show(Observed ?? double.NaN)}, allowed {Allowed} ({Baseline.DirectionName(Expected.Direction)}, baseline {Baseline.Show(Expected.Value ?? double.NaN)})",
        };
    }

    private static void WriteTable(CliContext context, List<Row> rows)
    {
        string[] header = ["metric", "baseline", "observed", "allowed", "status"];
        var cells = rows.Select(r => new[]
        {
            r.Name,
            r.Expected.Value is { } v ? Baseline.Show(Math.Round(v, 6)) : "-",
            r.Observed is { } x ? Baseline.Show(Math.Round(x, 6)) : "-",
            r.Allowed,
            r.StatusText,
        }).ToList();
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
            var failures = rows.Count(r => r.Status is CheckStatus.Regression or CheckStatus.Missing or CheckStatus.NoValue or CheckStatus.RunFailed);
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("tests", rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteAttributeString("failures", failures.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteStartElement("testsuite");
            w.WriteAttributeString("name", "runner check");
            w.WriteAttributeString("tests", rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteAttributeString("failures", failures.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteAttributeString("errors", "0");
            foreach (var r in rows)
            {
                var slash = r.Name.LastIndexOf('/');
                w.WriteStartElement("testcase");
                w.WriteAttributeString("classname", slash < 0 ? "" : r.Name[..slash]);
                w.WriteAttributeString("name", slash < 0 ? r.Name : r.Name[(slash + 1)..]);
                w.WriteAttributeString("time", "0");
                if (r.Status is CheckStatus.Regression or CheckStatus.Missing or CheckStatus.NoValue or CheckStatus.RunFailed)
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
