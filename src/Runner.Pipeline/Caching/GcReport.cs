namespace Runner.Pipeline.Caching;

/// <summary>What <see cref="StageCache.CollectGarbage"/> removed (or would remove, in a dry run).</summary>
public sealed record GcReport
{
    /// <summary>Removed entries.</summary>
    public required IReadOnlyList<CacheEntryInfo> Entries { get; init; }

    /// <summary>Removed leftovers: temp folders, trash, stale lock files.</summary>
    public required IReadOnlyList<string> Leftovers { get; init; }

    /// <summary>Bytes freed by the removed entries.</summary>
    public long FreedBytes => Entries.Sum(e => e.SizeBytes);
}
