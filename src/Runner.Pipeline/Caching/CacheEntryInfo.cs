namespace Runner.Pipeline.Caching;

/// <summary>One entry as <see cref="StageCache.List"/> sees it (no hashing: quick).</summary>
public sealed record CacheEntryInfo
{
    /// <summary>The stage name.</summary>
    public required string Stage { get; init; }

    /// <summary>The stage key.</summary>
    public required string Key { get; init; }

    /// <summary>The entry folder.</summary>
    public required string Directory { get; init; }

    /// <summary>Bytes of every file in the folder, manifest included.</summary>
    public required long SizeBytes { get; init; }

    /// <summary>When it was published (from the manifest; the folder's time when that is unreadable).</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>When it was last published or hit (the folder's modification time).</summary>
    public required DateTimeOffset LastUsed { get; init; }

    /// <summary>Why the manifest cannot be trusted, or null (files are not checked here).</summary>
    public string? Problem { get; init; }
}
