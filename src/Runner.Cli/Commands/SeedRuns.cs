using System.Globalization;
using Runner.Core;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Cli.Commands;

/// <summary>
/// The metrics of specs run as <c>runner run</c> runs them, keyed as baselines key them (<c>EXPERIMENT/metric</c>,
/// <c>EXPERIMENT/RUN/metric</c>), once or at N seeds. At N seeds each spec gains the sweep dimension
/// <c>seed: [s, s+1, …, s+N−1]</c> (s: the spec's seed) so that its runs land side by side in one experiment folder
/// (<c>runs/EXPERIMENT/seed=1</c>, <c>k=4,seed=1</c>) and stages whose inputs the seed does not reach come from the cache.
/// </summary>
internal static class SeedRuns
{
    /// <summary>What a set of runs measured.</summary>
    internal sealed record Observations(
        Dictionary<string, List<double>> Values, List<string> Order, List<string> FailedRuns, IReadOnlyList<long> Seeds,
        IReadOnlyList<string> Devices);

    /// <summary>Runs <paramref name="specPaths"/> once (<paramref name="seeds"/> = 0) or at that many seeds and collects every metric.</summary>
    public static Observations Run(CliContext context, string[] specPaths, string[]? set, string? device, string? cacheDir, string? runsDir, int seeds)
    {
        var prepared = specPaths.Select(p => RunCommand.Prepare(context, p, set, device, cacheDir, runsDir)).ToList();
        var duplicate = prepared.GroupBy(p => p.Experiment.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new RunnerException($"two specs are named '{duplicate.Key}'; baselines key metrics by experiment name", 2);
        List<long> seedList = [];
        if (seeds > 0)
        {
            var first = prepared[0].Experiment.Points[0].Spec.Seed;
            foreach (var (experiment, _, _) in prepared)
            {
                if (experiment.SweepKeys.Contains("seed"))
                    throw new RunnerException($"{experiment.SpecPath}: the spec already sweeps seed; --seeds adds that sweep itself (remove it from the spec, or run without --seeds)", 2);
                if (experiment.Points.Select(p => p.Spec.Seed).Distinct().Count() > 1)
                    throw new RunnerException($"{experiment.SpecPath}: its points have different seeds; --seeds needs one seed to count from", 2);
                if (experiment.Points[0].Spec.Seed != first)
                    throw new RunnerException($"{experiment.SpecPath}: seed {experiment.Points[0].Spec.Seed}, but {prepared[0].Experiment.SpecPath} has seed {first}; --seeds counts from one seed for every spec", 2);
            }
            seedList = Enumerable.Range(0, seeds).Select(i => first + i).ToList();
        }

        var values = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var order = new List<string>();
        var failedRuns = new List<string>();
        var devices = new List<string>();
        var graph = new StageGraph(context.Stages());
        foreach (var (original, _, _) in prepared)
        {
            var seedSet = seeds == 0 ? set : [.. set ?? [], $"sweep.seed=[{string.Join(", ", seedList.Select(s => s.ToString(CultureInfo.InvariantCulture)))}]"];
            var (experiment, cache, options) = seeds == 0
                ? prepared.First(p => p.Experiment == original)
                : RunCommand.Prepare(context, original.SpecPath, seedSet, device, cacheDir, runsDir);
            if (seeds > 0 && experiment.Points.Count != original.Points.Count * seeds)
                throw new InvalidOperationException($"{experiment.SpecPath}: {experiment.Points.Count} points with the seed sweep, expected {original.Points.Count} × {seeds}");
            var report = RunCommand.Execute(context, graph, cache, options, experiment);
            foreach (var point in report.Points)
            {
                // With the seed sweep (the last dimension, so the fastest-varying one) point p is the original's point p / N.
                var at = seeds == 0 ? point.Point.Index : point.Point.Index / seeds;
                var run = original.Points[at];
                var prefix = original.IsSweep ? $"{original.Name}/{run.RunName}/" : $"{original.Name}/";
                var shown = seeds == 0 ? prefix.TrimEnd('/') : $"{prefix}seed={seedList[point.Point.Index % seeds]}";
                if (seeds > 0 && point.Point.Spec.Seed != seedList[point.Point.Index % seeds])
                    throw new InvalidOperationException($"{shown}: ran with seed {point.Point.Spec.Seed}");
                if (!devices.Contains(point.Point.Spec.Device)) devices.Add(point.Point.Spec.Device);
                if (point.Error is not null || point.Record is null)
                {
                    failedRuns.Add(shown);
                    context.Error.WriteLine($"error: run {shown} failed: {point.Error?.Message ?? "it did not run"}");
                }
                if (point.Record is null) continue;
                foreach (var (name, value) in point.Record.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    if (!values.TryGetValue(prefix + name, out var list))
                    {
                        values[prefix + name] = list = [];
                        order.Add(prefix + name);
                    }
                    list.Add(value);
                }
            }
        }
        return new Observations(values, order, failedRuns, seedList, devices);
    }

    /// <summary>The device class the runs' devices resolve to here: <c>cpu</c> or <c>cuda (GPU name)</c>, several joined with <c>+</c>.</summary>
    public static string DeviceClass(IEnumerable<string> devices) => string.Join(" + ", devices.Select(d =>
    {
        var device = d == "auto" ? Device.Auto : Device.Parse(d);
        return device.IsCuda ? $"cuda ({TorchRuntime.CudaDeviceName(Math.Max(device.Index, 0))})" : "cpu";
    }).Distinct());
}
