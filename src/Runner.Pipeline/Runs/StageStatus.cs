namespace Runner.Pipeline.Runs;

/// <summary>How a run got a stage's output.</summary>
public enum StageStatus
{
    /// <summary>This run computed it (and published the cache entry).</summary>
    Computed,

    /// <summary>It came from the cache: an entry from an earlier run, another process, or another point of this sweep.</summary>
    Cached,
}
