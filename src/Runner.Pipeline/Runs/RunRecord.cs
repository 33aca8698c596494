using System.Text.Json.Nodes;

namespace Runner.Pipeline.Runs;

/// <summary>What a run folder records about one point (its <c>stages.json</c> and <c>metrics.json</c>).</summary>
public sealed record RunRecord
{
    /// <summary>The experiment name (spec key <c>name</c>).</summary>
    public required string Experiment { get; init; }

    /// <summary>The point's run name (<c>k=32,dict_size=4096</c>, or the experiment name).</summary>
    public required string RunName { get; init; }

    /// <summary>The point's index in the sweep.</summary>
    public required int Point { get; init; }

    /// <summary>SHA-256 of the canonical JSON of the resolved spec.</summary>
    public required string SpecHash { get; init; }

    /// <summary>The environment fingerprint the stage keys were computed with.</summary>
    public string Environment { get; init; } = "";

    /// <summary>The Runner version that ran the point (<c>runner_version</c> in <c>stages.json</c>); null in folders written before it was recorded.</summary>
    public string? RunnerVersion { get; init; }

    /// <summary>The git commit of the working directory the point ran in (<c>git_commit</c>); null outside a repository or in older folders.</summary>
    public string? GitCommit { get; init; }

    /// <summary>The swept key paths and this point's values.</summary>
    public IReadOnlyList<KeyValuePair<string, JsonNode?>> Varied { get; init; } = [];

    /// <summary>When the point started (UTC).</summary>
    public DateTimeOffset Started { get; init; }

    /// <summary>When the point finished (UTC).</summary>
    public DateTimeOffset Finished { get; init; }

    /// <summary>The error text of a run interrupted by cancellation (<see cref="Killed"/>).</summary>
    public const string CancelledError = "cancelled (Ctrl-C)";

    /// <summary>
    /// Why the run failed (the failed stage's error) or <see cref="CancelledError"/> for a killed run, else null. A
    /// failed run's folder holds the stages that completed and the failed one (<see cref="StageStatus.Failed"/>), a
    /// killed run's the completed ones and the interrupted one (<see cref="StageStatus.Killed"/>); older folders
    /// without it are successful.
    /// </summary>
    public string? Error { get; init; }

    /// <summary>True when the run was interrupted (Ctrl-C) before its stages completed; <see cref="Error"/> is set too.</summary>
    public bool Killed { get; init; }

    /// <summary>True when a stage failed (<see cref="Error"/> is set and the run was not <see cref="Killed"/>).</summary>
    public bool Failed => Error is not null && !Killed;

    /// <summary>The run's status as <c>stages.json</c> writes it: <c>finished</c>, <c>failed</c> or <c>killed</c>.</summary>
    public string Status => Killed ? "killed" : Failed ? "failed" : "finished";

    /// <summary>Every stage in execution order (for a failed or killed run: the completed ones, then the failed or interrupted one).</summary>
    public required IReadOnlyList<RunStage> Stages { get; init; }

    /// <summary>
    /// The metric definition versions metrics.json recorded (id -> version); null for a folder written before
    /// definitions were versioned (every definition taken as version 1). A folder written now records the current
    /// <see cref="Metrics.MetricCatalog"/> versions of the definitions its metrics use.
    /// </summary>
    public IReadOnlyDictionary<string, int>? MetricDefinitions { get; init; }

    /// <summary>The final metrics with the definition versions they were recorded under.</summary>
    public RecordedMetrics RecordedMetrics => new(Metrics, MetricDefinitions);

    /// <summary>Every final metric, prefixed by its stage (<c>train.mse</c>).</summary>
    public IReadOnlyDictionary<string, double> Metrics =>
        Stages.SelectMany(s => s.Metrics.Select(m => KeyValuePair.Create($"{s.Name}.{m.Key}", m.Value)))
            .GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal);
}
