namespace Runner.Pipeline.Caching;

/// <summary>What <see cref="StageCache.Probe"/> found.</summary>
public enum CacheProbeStatus
{
    /// <summary>No entry folder.</summary>
    Missing,

    /// <summary>A complete entry that passed verification.</summary>
    Valid,

    /// <summary>An entry folder that must not be trusted (see <see cref="CacheProbe.Reason"/>).</summary>
    Corrupt,
}
