namespace Runner.Pipeline.Caching;

/// <summary>How much of a cache entry is checked before it is trusted (env <c>RUNNER_CACHE_VERIFY</c>).</summary>
public enum CacheVerification
{
    /// <summary>
    /// Manifest checksum and every file's size always; every file's SHA-256 as well when the entry
    /// holds at most <see cref="CacheOptions.FullHashLimitBytes"/> bytes. The default.
    /// </summary>
    Auto,

    /// <summary>Manifest checksum, sizes and the SHA-256 of every file, however large.</summary>
    Full,

    /// <summary>Manifest checksum and sizes only (fast on huge entries on slow shared file systems).</summary>
    Sizes,
}
