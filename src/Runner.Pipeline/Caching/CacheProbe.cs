namespace Runner.Pipeline.Caching;

/// <summary>The result of looking at one entry without changing anything.</summary>
public sealed record CacheProbe(CacheProbeStatus Status, CacheEntry? Entry, string? Reason)
{
    /// <summary>No entry.</summary>
    public static CacheProbe Missing { get; } = new(CacheProbeStatus.Missing, null, null);
}
