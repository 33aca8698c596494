namespace Runner.Pipeline.Caching;

/// <summary>Timing of the per-key lock files (see <see cref="CacheLock"/>).</summary>
public sealed record LockOptions
{
    /// <summary>How often a holder rewrites its lock file to show it is alive.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A lock file whose content a waiter has seen unchanged for this long (on the waiter's own clock,
    /// so clock skew between hosts does not matter) is stale and broken. Must be several heartbeats.
    /// On the holder's own host a dead pid makes the lock stale at once.
    /// </summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a waiter looks at the lock file again.</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromMilliseconds(200);
}
