using System.CommandLine;
using System.Globalization;
using Runner.Cli.Rendering;
using Runner.Core;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Tracking;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner baseline SPEC... --seeds N --out FILE</c>: runs each spec at N seeds (its seed and the next N−1, as one sweep
/// dimension, sharing every cached stage the seed does not reach) and writes a seed band file: per metric the mean,
/// sample standard deviation, min, max, N, per-seed values and the tolerance <c>max(sigmas·σ, floor)</c> (the floor from
/// the metric's kind in <see cref="MetricCatalog"/>), with the Runner version, commit, definition versions, libtorch
/// version and device class. <c>runner check --baseline FILE</c> then fails only outside a band.
/// </summary>
public static class BaselineCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var specs = new Argument<string[]>("SPEC") { Description = "The experiment specs (YAML) to measure.", Arity = ArgumentArity.OneOrMore };
        var seeds = new Option<int>("--seeds") { Description = "How many seeds (at least 2): the spec's seed and the next N−1.", Required = true };
        var output = new Option<string>("--out") { Description = "The band file to write (JSON; replaced atomically). When it exists, its metrics and their directions are measured again.", Required = true };
        var sigmas = new Option<double>("--sigmas") { Description = "The band's half-width in standard deviations (default 4): tolerance = max(sigmas·σ, the floor of the metric's kind).", DefaultValueFactory = _ => SeedBand.DefaultSigmas };
        var metric = new Option<string[]>("--metric") { Description = "Only metrics whose key or name matches this pattern (* matches anything; repeatable). Default: every comparable metric (not speeds, times or feature indices), or the existing file's.", AllowMultipleArgumentsPerToken = false };
        var set = SpecOptions.Set();
        var device = new Option<string?>("--device") { Description = "auto, cpu, cuda or cuda:N (same as --set device=…)." };
        var runsDir = new Option<string?>("--runs-dir") { Description = "Where run folders go (default: runs; the seeds are runs/EXPERIMENT/seed=S)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "The stage cache (default: the spec's cache.dir, $RUNNER_CACHE, .runner/cache)." };
        var command = new Command("baseline", "Run specs at N seeds and write their metrics' seed bands (mean, σ, range, tolerance) for runner check.")
        {
            specs, seeds, output, sigmas, metric, set, device, runsDir, cacheDir,
        };
        command.SetAction(r => Measure(context, r.GetValue(specs)!, r.GetValue(seeds), r.GetValue(output)!, r.GetValue(sigmas), r.GetValue(metric) ?? [],
            r.GetValue(set), r.GetValue(device), r.GetValue(runsDir), r.GetValue(cacheDir)));
        return command;
    }

    private static int Measure(CliContext context, string[] specPaths, int seeds, string outPath, double sigmas, string[] patterns,
        string[]? set, string? device, string? runsDir, string? cacheDir)
    {
        if (seeds < 2) throw new RunnerException($"--seeds must be at least 2 (a band is the spread of several seeds), got {seeds}", 2);
        if (!(sigmas > 0) || !double.IsFinite(sigmas)) throw new RunnerException($"--sigmas must be a positive number, got {sigmas.ToString(CultureInfo.InvariantCulture)}", 2);
        var file = Path.GetFullPath(outPath, context.WorkingDirectory);
        // An existing file (either version) names the metrics to measure again and keeps their directions; read it before the runs.
        var existing = File.Exists(file) ? Baseline.Load(file, outPath) : null;
        var matchers = patterns.Select(p => (Pattern: p, Regex: MetricPattern.Regex(p))).ToList();

        var observed = SeedRuns.Run(context, specPaths, set, device, cacheDir, runsDir, seeds);
        if (observed.FailedRuns.Count > 0)
            throw new RunnerException($"not writing {outPath}: {observed.FailedRuns.Count} run{(observed.FailedRuns.Count == 1 ? "" : "s")} failed ({string.Join(", ", observed.FailedRuns)})", 1);

        List<string> keys;
        if (matchers.Count > 0)
        {
            keys = observed.Order.Where(k => matchers.Any(m => MetricPattern.Matches(m.Regex, k))).ToList();
            var unmatched = matchers.Where(m => !observed.Order.Any(k => MetricPattern.Matches(m.Regex, k))).Select(m => m.Pattern).ToList();
            if (unmatched.Count > 0)
                throw new RunnerException($"--metric {string.Join(", ", unmatched)}: no metric of the runs matches (their keys look like {observed.Order.FirstOrDefault() ?? "(none)"})", 2);
        }
        else if (existing is not null)
        {
            keys = existing.Metrics.Select(m => m.Key).ToList();
            var absent = keys.Where(k => !observed.Values.ContainsKey(k)).ToList();
            if (absent.Count > 0)
                throw new RunnerException($"not writing {outPath}: the runs produced no {string.Join(", ", absent.Take(5))}{(absent.Count > 5 ? $" (and {absent.Count - 5} more)" : "")}; remove {(absent.Count == 1 ? "it" : "them")} from the file or pick metrics with --metric", 1);
        }
        else keys = observed.Order.Where(k => MetricCatalog.Find(Baseline.MetricName(k))?.Comparable ?? true).ToList();

        var band = new Baseline
        {
            Version = 2,
            Provenance = new BaselineProvenance
            {
                Runner = TrackingContext.CurrentVersion,
                Commit = TrackingContext.Capture(context.WorkingDirectory, context.GetEnvironment).GitCommit,
                Libtorch = context.EnvironmentFingerprint(),
                DeviceClass = SeedRuns.DeviceClass(observed.Devices),
                Seeds = observed.Seeds,
                Sigmas = sigmas,
                Created = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                Specs = specPaths,
            },
        };
        foreach (var key in keys)
        {
            var values = observed.Values[key];
            if (values.Count != seeds)
                throw new RunnerException($"not writing {outPath}: {key} was measured at {values.Count} of {seeds} seeds", 1);
            var definition = MetricCatalog.Find(Baseline.MetricName(key));
            var direction = existing?.Metrics.FirstOrDefault(m => m.Key == key).Value?.Direction
                ?? (definition is null ? BaselineDirection.TwoSided : Baseline.FromCatalog(definition.Direction));
            var stats = SeedBand.From(values, definition?.BandFloor(values.Average()) ?? 0, sigmas);
            band.Metrics.Add(KeyValuePair.Create(key, new BaselineMetric
            {
                Value = stats.Mean, Tolerance = stats.Tolerance, Direction = direction, Band = stats, Values = values,
                Definition = definition is null ? null : new MetricVersion(definition.Id, definition.Version),
                Kind = definition?.Kind.ToString().ToLowerInvariant(),
            }));
        }
        band.Save(file);

        context.Out.WriteLine();
        TextTable.Write(context.Out, ["metric", "mean", "σ", "min", "max", "allowed (one run)"], band.Metrics.Select(m =>
        {
            var b = m.Value.Band!;
            var allowed = m.Value.Direction switch
            {
                BaselineDirection.LowerIsBetter => $"<= {R(b.Mean + b.Tolerance)}",
                BaselineDirection.HigherIsBetter => $">= {R(b.Mean - b.Tolerance)}",
                _ => $"{R(b.Mean)} ± {R(b.Tolerance)}",
            };
            return new[] { m.Key, R(b.Mean), R(b.Std), R(b.Min), R(b.Max), allowed };
        }).ToList());
        context.Out.WriteLine($"wrote {outPath}: {band.Metrics.Count} metric{(band.Metrics.Count == 1 ? "" : "s")}, seeds {string.Join(", ", observed.Seeds)}, tolerance max({sigmas.ToString("0.##", CultureInfo.InvariantCulture)}σ, floor) on {band.Provenance.DeviceClass}");
        return ExitCodes.Ok;
    }

    private static string R(double x) => Baseline.Show(Math.Round(x, 6));
}
