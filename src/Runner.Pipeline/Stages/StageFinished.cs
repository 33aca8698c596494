using Runner.Pipeline.Runs;

namespace Runner.Pipeline.Stages;

/// <summary>A point has a stage's output: computed now, or from the cache.</summary>
public sealed record StageFinished : PipelineEvent
{
    /// <summary>The key.</summary>
    public required string Key { get; init; }

    /// <summary>Computed or cached.</summary>
    public required StageStatus Status { get; init; }

    /// <summary>Wall-clock seconds for this point (lock waits included).</summary>
    public required double Seconds { get; init; }

    /// <summary>The cache entry folder.</summary>
    public required string Entry { get; init; }

    /// <summary>The stage's metrics.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
}
