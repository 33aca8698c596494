using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Estimates;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner run SPEC --dry-run [--json]</c>: each point's stages, keys, what a run would do, and what each stage it
/// computes would cost (disk, peak memory, time on this machine), plus whether the writes fit the cache's disk.
/// </summary>
internal static class DryRun
{
    public static int Print(CliContext context, PipelineExecutor executor, LoadedExperiment experiment, StageCache cache, bool json)
    {
        var plan = executor.Plan(experiment.Points);
        var calibration = Calibrate(context, experiment, plan);
        var costs = new CostModel(calibration?.Figures);
        var estimates = plan.Points.Select(p => p.Stages.Select(s => costs.Estimate(s.Stage, p.Point)).ToList()).ToList();
        var free = DiskSpace.Free(cache.Root, context.GetEnvironment);
        var (need, _) = DiskCheck.Need(plan);
        var fits = free is not { } f || DiskCheck.WithMargin(need) <= f;
        string? problem = null;
        if (!fits)
        {
            try { DiskCheck.Ensure(plan, cache.Root, free); }
            catch (RunnerException e) { problem = e.Message; }
        }
        if (json) Json(context, experiment, plan, estimates, cache, calibration, need, free, fits);
        else Text(context, experiment, plan, estimates, cache, calibration, need, free);
        if (problem is not null) context.Error.WriteLine("warning: a run would stop before starting: " + problem);
        return ExitCodes.Ok;
    }

    // Only stages that compute cost anything; a point runs its stages one after another in one process.
    private static ResourceEstimate Sum(PointPlan point, IReadOnlyList<ResourceEstimate> estimates)
    {
        long disk = 0, memory = 0;
        double? seconds = 0;
        for (var i = 0; i < point.Stages.Count; i++)
        {
            if (point.Stages[i].Action != StageAction.Compute) continue;
            disk += estimates[i].DiskBytes;
            memory = Math.Max(memory, estimates[i].MemoryBytes);
            seconds = seconds is { } s && estimates[i].Seconds is { } t ? s + t : null;
        }
        return new ResourceEstimate(disk, memory, seconds);
    }

    private static MachineCalibration? Calibrate(CliContext context, LoadedExperiment experiment, ExecutionPlan plan)
    {
        if (plan.ComputeCount == 0) return null;
        try
        {
            var device = Device.Parse(experiment.Points[0].Spec.Device);
            return MachineCalibration.LoadOrMeasure(context.EnvironmentFingerprint(), device, context.GetEnvironment, context.Error.WriteLine);
        }
        catch (Exception e) when (e is TorchException or DllNotFoundException or TypeInitializationException)
        {
            context.Error.WriteLine($"note: no time estimates: this machine could not be calibrated ({e.Message})");
            return null;
        }
    }

    private static void Text(CliContext context, LoadedExperiment experiment, ExecutionPlan plan, List<List<ResourceEstimate>> estimates,
        StageCache cache, MachineCalibration? calibration, long need, long? free)
    {
        var o = context.Out;
        o.WriteLine($"plan for {experiment.Name}: {plan.Points.Count} run{(plan.Points.Count == 1 ? "" : "s")}, {plan.ComputeCount} stage computation{(plan.ComputeCount == 1 ? "" : "s")}");
        long peak = 0;
        double? total = 0;
        for (var pi = 0; pi < plan.Points.Count; pi++)
        {
            var p = plan.Points[pi];
            o.WriteLine($"  [{p.Point.Index}] {p.Point.RunName}  (spec {p.Point.SpecHash[..12]})");
            for (var si = 0; si < p.Stages.Count; si++)
            {
                var s = p.Stages[si];
                var e = estimates[pi][si];
                var line = s.Action switch
                {
                    StageAction.Reuse => "cached",
                    StageAction.Shared => "shared (computed once for an earlier point)",
                    _ => $"{"compute",-8} {Cost(e)}{(s.Forced ? "  (forced)" : s.Problem is null ? "" : $"  ({s.Problem})")}",
                };
                o.WriteLine($"      {s.Stage,-10} {StageCache.Short(s.Key)}  {line}".TrimEnd());
            }
            var sum = Sum(p, estimates[pi]);
            if (p.Stages.Any(s => s.Action == StageAction.Compute))
                o.WriteLine($"      {"estimate",-10} {"",12}  {"",-8} {Cost(sum)}");
            peak = Math.Max(peak, sum.MemoryBytes);
            total = total is { } t && sum.Seconds is { } u ? t + u : null;
        }
        var freeText = free is { } f ? $"{Quantities.Bytes(f)} free" : "free space unknown";
        o.WriteLine($"estimate: writes {Quantities.Bytes(need)} to {cache.Root} ({freeText}), peak memory {Quantities.Bytes(peak)}, time {Quantities.Seconds(total)} ({Basis(calibration)})");
    }

    private static string Cost(ResourceEstimate e) =>
        $"disk {Quantities.Bytes(e.DiskBytes),8}  memory {Quantities.Bytes(e.MemoryBytes),8}  time {Quantities.Seconds(e.Seconds),9}";

    private static string Basis(MachineCalibration? c) => c is null
        ? "times need a calibration"
        : $"times at this machine's speed measured {c.Measured:yyyy-MM-dd} with {c.Figures.Threads} thread{(c.Figures.Threads == 1 ? "" : "s")}: {c.File}";

    private static void Json(CliContext context, LoadedExperiment experiment, ExecutionPlan plan, List<List<ResourceEstimate>> estimates,
        StageCache cache, MachineCalibration? calibration, long need, long? free, bool fits)
    {
        var points = new JsonArray();
        long peak = 0;
        double? total = 0;
        for (var pi = 0; pi < plan.Points.Count; pi++)
        {
            var p = plan.Points[pi];
            var stages = new JsonArray();
            for (var si = 0; si < p.Stages.Count; si++)
            {
                var s = p.Stages[si];
                var e = estimates[pi][si];
                stages.Add(new JsonObject
                {
                    ["stage"] = s.Stage,
                    ["key"] = s.Key,
                    ["action"] = s.Action switch { StageAction.Reuse => "cached", StageAction.Shared => "shared", _ => "compute" },
                    ["forced"] = s.Forced,
                    ["problem"] = s.Problem,
                    ["estimate"] = Estimate(e),
                });
            }
            var sum = Sum(p, estimates[pi]);
            peak = Math.Max(peak, sum.MemoryBytes);
            total = total is { } t && sum.Seconds is { } u ? t + u : null;
            points.Add(new JsonObject
            {
                ["index"] = p.Point.Index,
                ["run_name"] = p.Point.RunName,
                ["spec_hash"] = p.Point.SpecHash,
                ["stages"] = stages,
                ["estimate"] = Estimate(sum),
            });
        }
        var root = new JsonObject
        {
            ["experiment"] = experiment.Name,
            ["runs"] = plan.Points.Count,
            ["computations"] = plan.ComputeCount,
            ["points"] = points,
            ["estimate"] = Estimate(new ResourceEstimate(need, peak, total)),
            ["disk"] = new JsonObject
            {
                ["cache"] = cache.Root,
                ["free_bytes"] = free,
                ["needed_bytes"] = need,
                ["needed_with_margin_bytes"] = DiskCheck.WithMargin(need),
                ["fits"] = fits,
            },
            ["calibration"] = calibration is null ? null : new JsonObject
            {
                ["file"] = calibration.File,
                ["measured"] = calibration.Measured.ToString("o"),
                ["forward_gflops"] = calibration.Figures.ForwardGflops,
                ["sae_gflops"] = calibration.Figures.SaeGflops,
                ["threads"] = calibration.Figures.Threads,
            },
        };
        context.Out.WriteLine(root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    // A stage's estimate is what computing it costs; the point's and the run's count only the stages they compute.
    private static JsonObject Estimate(ResourceEstimate e) => new()
    {
        ["disk_bytes"] = e.DiskBytes,
        ["memory_bytes"] = e.MemoryBytes,
        ["seconds"] = e.Seconds,
        ["mapped_bytes"] = e.MappedBytes,
    };
}
