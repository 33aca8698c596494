namespace Runner.Pipeline.Caching;

/// <summary>One file of a cache entry: its path relative to the entry ('/'-separated), size and SHA-256.</summary>
public sealed record ManifestFile(string Path, long Size, string Sha256);
