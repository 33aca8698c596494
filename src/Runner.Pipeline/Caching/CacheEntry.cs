namespace Runner.Pipeline.Caching;

/// <summary>A verified, published cache entry. Treat its folder as read-only.</summary>
public sealed record CacheEntry(string Stage, string Key, string Directory, CacheManifest Manifest);
