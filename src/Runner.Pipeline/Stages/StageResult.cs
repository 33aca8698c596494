namespace Runner.Pipeline.Stages;

/// <summary>What a stage returns besides its files: final metrics and notes, stored in its cache manifest.</summary>
public sealed record StageResult
{
    /// <summary>Final metrics by name (unprefixed: the run prefixes them with the stage name, <c>train.mse</c>).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Short human-readable notes (what was produced, warnings worth keeping with the result).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>No metrics, no notes.</summary>
    public static StageResult Empty { get; } = new();
}
