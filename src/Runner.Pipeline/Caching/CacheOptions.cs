namespace Runner.Pipeline.Caching;

/// <summary>Where the stage cache lives and how entries are verified and locked.</summary>
public sealed record CacheOptions
{
    /// <summary>Environment variable that overrides the verification rule: <c>auto</c>, <c>full</c> or <c>sizes</c>.</summary>
    public const string VerifyVariable = "RUNNER_CACHE_VERIFY";

    /// <summary>The cache root (absolute); entries live in <c>&lt;root&gt;/&lt;stage&gt;/&lt;key&gt;/</c>.</summary>
    public required string Root { get; init; }

    /// <summary>What is checked on every hit.</summary>
    public CacheVerification Verification { get; init; } = CacheVerification.Auto;

    /// <summary>
    /// Under <see cref="CacheVerification.Auto"/>, entries up to this many bytes get every file hashed
    /// on each hit (256 MiB: about 0.15 s at the 1.7 GB/s SHA-256 measured here from the page cache);
    /// larger ones get sizes and the manifest checksum.
    /// </summary>
    public long FullHashLimitBytes { get; init; } = 256L << 20;

    /// <summary>Lock timing.</summary>
    public LockOptions Lock { get; init; } = new();

    /// <summary>
    /// Options for a cache at <see cref="CacheLocation.Resolve"/>(<paramref name="explicitRoot"/>, …),
    /// with the verification rule from <c>RUNNER_CACHE_VERIFY</c> when set.
    /// </summary>
    public static CacheOptions Create(string? explicitRoot, string workingDirectory, Func<string, string?>? getEnvironment = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var verify = getEnvironment(VerifyVariable);
        var verification = string.IsNullOrWhiteSpace(verify) ? CacheVerification.Auto : verify.Trim().ToLowerInvariant() switch
        {
            "auto" => CacheVerification.Auto,
            "full" => CacheVerification.Full,
            "sizes" => CacheVerification.Sizes,
            _ => throw new Core.RunnerException($"{VerifyVariable}: expected auto, full or sizes, got '{verify}'", exitCode: 2),
        };
        return new CacheOptions
        {
            Root = CacheLocation.Resolve(explicitRoot, workingDirectory, getEnvironment),
            Verification = verification,
        };
    }
}
