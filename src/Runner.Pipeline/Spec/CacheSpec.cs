namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>cache</c> section.</summary>
public sealed record CacheSpec
{
    /// <summary>Cache folder (absolute once resolved); null = <c>$RUNNER_CACHE</c>, else <c>.runner/cache</c>.</summary>
    public string? Dir { get; init; }
}
