using Runner.Pipeline.Caching;

namespace Runner.Pipeline.Stages;

/// <summary>Another process holds the lock for this stage's key; this one waits and will reuse its result.</summary>
public sealed record StageWaiting : PipelineEvent
{
    /// <summary>The key being waited for.</summary>
    public required string Key { get; init; }

    /// <summary>Who holds the lock.</summary>
    public required LockHolder Holder { get; init; }

    /// <summary>"waiting for capture (held by pid 4711 on host node7)".</summary>
    public string Message => $"waiting for {Stage} (held by {Holder})";
}
