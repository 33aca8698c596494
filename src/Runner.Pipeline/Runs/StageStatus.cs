namespace Runner.Pipeline.Runs;

/// <summary>How a run got a stage's output, or that the stage failed or was interrupted.</summary>
public enum StageStatus
{
    /// <summary>This run computed it (and published the cache entry).</summary>
    Computed,

    /// <summary>It came from the cache: an entry from an earlier run, another process, or another point of this sweep.</summary>
    Cached,

    /// <summary>It threw: the run folder of a failed run records it (<c>"failed"</c> in <c>stages.json</c>, with the error) and links no entry.</summary>
    Failed,

    /// <summary>It was interrupted (Ctrl-C): the run folder of a killed run records it (<c>"killed"</c> in <c>stages.json</c>) and links no entry.</summary>
    Killed,
}
