namespace Runner.Pipeline.Caching;

/// <summary>Resolves the cache root: an explicit option, else <c>RUNNER_CACHE</c>, else <c>.runner/cache</c>.</summary>
public static class CacheLocation
{
    /// <summary>The environment variable naming the cache root.</summary>
    public const string Variable = "RUNNER_CACHE";

    /// <summary>The default root, relative to the working directory.</summary>
    public const string DefaultRelative = ".runner/cache";

    /// <summary>
    /// The absolute cache root. <paramref name="explicitRoot"/> (a CLI option or the spec's
    /// <c>cache.dir</c>, which the caller has already resolved against the spec's folder) wins over
    /// <c>RUNNER_CACHE</c>, which wins over <c>.runner/cache</c>; relative paths are taken from
    /// <paramref name="workingDirectory"/>.
    /// </summary>
    public static string Resolve(string? explicitRoot, string workingDirectory, Func<string, string?>? getEnvironment = null)
    {
        getEnvironment ??= Environment.GetEnvironmentVariable;
        var chosen = !string.IsNullOrWhiteSpace(explicitRoot) ? explicitRoot
            : getEnvironment(Variable) is { Length: > 0 } fromEnv ? fromEnv
            : DefaultRelative;
        return Path.GetFullPath(chosen, workingDirectory);
    }
}
