namespace Runner.Pipeline.Estimates;

/// <summary>What computing one stage costs, estimated before anything runs (see <see cref="CostModel"/>).</summary>
/// <param name="DiskBytes">Bytes the stage's cache entry holds (its files and manifest).</param>
/// <param name="MemoryBytes">Peak resident memory of the process during the stage, page cache of mapped shards excluded.</param>
/// <param name="Seconds">Wall time on this machine; null without a calibration.</param>
/// <param name="MappedBytes">Activation shards the stage maps: resident as page cache while read, reclaimable by the kernel.</param>
public sealed record ResourceEstimate(long DiskBytes, long MemoryBytes, double? Seconds, long MappedBytes = 0)
{
    /// <summary>Nothing: a stage that is reused from the cache.</summary>
    public static readonly ResourceEstimate None = new(0, 0, 0);
}
