using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>
/// One fully resolved run of an experiment: a sweep point, or the only point without a sweep.
/// What the spec loader produces and the stage machinery consumes.
/// </summary>
public sealed record ResolvedPoint
{
    /// <summary>The experiment's name (spec key <c>name</c>); runs live in runs/&lt;experiment&gt;/.</summary>
    public required string Experiment { get; init; }

    /// <summary>Readable name from what varies, e.g. <c>k=32,dict_size=4096</c>; the experiment name when nothing does.</summary>
    public required string RunName { get; init; }

    /// <summary>Position in the sweep (0-based); 0 without a sweep.</summary>
    public required int Index { get; init; }

    /// <summary>The swept key paths and this point's values, in sweep order (empty without a sweep).</summary>
    public required IReadOnlyList<KeyValuePair<string, JsonNode?>> Varied { get; init; }

    /// <summary>
    /// The resolved spec as a JSON tree: snake_case keys, every default explicit, includes merged,
    /// variables interpolated, overrides and the point's sweep values applied, no <c>sweep</c> or
    /// <c>include</c> left. Stages take their slice of it; it is what resolved.yaml shows.
    /// </summary>
    public required JsonObject Json { get; init; }

    /// <summary>The typed, validated spec (the same content as <see cref="Json"/>).</summary>
    public required ExperimentSpec Spec { get; init; }

    /// <summary>SHA-256 of the canonical JSON of <see cref="Json"/>: the run's spec hash.</summary>
    public required string SpecHash { get; init; }
}
