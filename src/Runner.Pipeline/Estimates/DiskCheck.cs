using Runner.Core;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline.Estimates;

/// <summary>
/// Before a run starts: does what its stages would write fit the free space of the cache's file system? The stages a
/// plan computes (not those it reuses or shares) are summed, with a margin of 5% plus 256 MiB.
/// </summary>
public static class DiskCheck
{
    /// <summary>Headroom added to the estimate, as a fraction of it.</summary>
    public const double MarginFraction = 0.05;

    /// <summary>Headroom added to the estimate, in bytes (other writers, manifests, file-system overhead).</summary>
    public const long MarginBytes = 256L << 20;

    /// <summary>The estimate plus the margin.</summary>
    public static long WithMargin(long bytes) => bytes + (long)(bytes * MarginFraction) + MarginBytes;

    /// <summary>Bytes the stages <paramref name="plan"/> computes would write, and how many of them are captures.</summary>
    public static (long Total, long Capture) Need(ExecutionPlan plan)
    {
        var model = new CostModel(null);
        long total = 0, capture = 0;
        foreach (var point in plan.Points)
        {
            foreach (var stage in point.Stages.Where(s => s.Action == StageAction.Compute))
            {
                var bytes = stage.Stage == "capture" ? CostModel.CaptureDiskBytes(point.Point) : model.Estimate(stage.Stage, point.Point).DiskBytes;
                total += bytes;
                if (stage.Stage == "capture") capture += bytes;
            }
        }
        return (total, capture);
    }

    /// <summary>
    /// Throws a usage error (exit 2) when what <paramref name="plan"/> writes would not fit in <paramref name="freeBytes"/>
    /// with the margin: the message gives the size needed, the space free, and the two ways to store less.
    /// Unknown free space (null) passes.
    /// </summary>
    public static void Ensure(ExecutionPlan plan, string cacheRoot, long? freeBytes)
    {
        if (freeBytes is not { } free) return;
        var (total, capture) = Need(plan);
        var required = WithMargin(total);
        if (required <= free) return;
        throw new RunnerException(Message(plan, cacheRoot, total, capture, required, free), 2);
    }

    private static string Message(ExecutionPlan plan, string cacheRoot, long total, long capture, long required, long free)
    {
        var what = capture > 0
            ? $"its capture writes {Quantities.Bytes(capture)} of activation shards ({Quantities.Bytes(total)} in all)"
            : $"it writes {Quantities.Bytes(total)}";
        var halves = plan.Points
            .Where(p => p.Stages.Any(s => s.Stage == "capture" && s.Action == StageAction.Compute))
            .Where(p => p.Point.Spec.Data.ActivationDtype == ActivationPrecision.Float32)
            .ToList();
        string dtype;
        if (halves.Count == 0) dtype = "data.activation_dtype is already 2 bytes per value";
        else
        {
            var saved = halves.Sum(p => CostModel.CaptureDiskBytes(p.Point) - CostModel.CaptureDiskBytes(WithBf16(p.Point)));
            dtype = $"`data.activation_dtype: bfloat16` (half the shard bytes: {Quantities.Bytes(total - saved)} in all)";
        }
        return $"not enough disk space for this run: {what}, {Quantities.Bytes(required)} with the margin, but {cacheRoot} has "
            + $"{Quantities.Bytes(free)} free. Nothing was started. Ways out: `data.store: stream` (no shards: the SAE trains on "
            + $"activations as the model produces them), or {dtype}; or free space, or put the cache elsewhere (--cache-dir, cache.dir, RUNNER_CACHE)";
    }

    private static ResolvedPoint WithBf16(ResolvedPoint point) =>
        point with { Spec = point.Spec with { Data = point.Spec.Data with { ActivationDtype = ActivationPrecision.Bfloat16 } } };
}
