namespace Runner.Pipeline.Runs;

/// <summary>One stage of a run as <c>stages.json</c> records it.</summary>
public sealed record RunStage
{
    /// <summary>The stage name.</summary>
    public required string Name { get; init; }

    /// <summary>The stage key (the cache entry's folder name).</summary>
    public required string Key { get; init; }

    /// <summary>Computed by this run, or taken from the cache.</summary>
    public required StageStatus Status { get; init; }

    /// <summary>Wall-clock seconds this run spent on the stage (waiting for a lock included).</summary>
    public required double Seconds { get; init; }

    /// <summary>The cache entry folder (absolute) the run's <c>stages/&lt;name&gt;</c> link points to; empty for a failed stage.</summary>
    public required string Entry { get; init; }

    /// <summary>Outputs linked at the top of the run folder: name -> path inside <see cref="Entry"/> (not persisted).</summary>
    public IReadOnlyDictionary<string, string> Links { get; init; } = new Dictionary<string, string>();

    /// <summary>Why the stage failed (<see cref="StageStatus.Failed"/>), else null.</summary>
    public string? Error { get; init; }

    /// <summary>
    /// A grouped stage (train with <c>data.store: stream</c>): the id of the activation stream it trained on — the same
    /// for every point that streams the same activations, which train together from one model pass.
    /// </summary>
    public string? Stream { get; init; }

    /// <summary>With <see cref="Stream"/>: model passes that produced the stage's training rows.</summary>
    public int? Passes { get; init; }

    /// <summary>The stage's metrics, unprefixed.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
}
