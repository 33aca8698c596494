namespace Runner.Pipeline.Metrics;

/// <summary>What kind of quantity a metric is: decides how it may be compared across runs and the floor of its seed band.</summary>
public enum MetricKind
{
    /// <summary>A continuous score, bounded (usually in [0, 1]): FVU, CE loss recovered, precision, MMCS. Band floor 0.001 absolute.</summary>
    Score,
    /// <summary>A share of latents, tokens or samples past a threshold (dead fraction, steered topic fraction, fluency): jumps in steps. Band floor 0.01 absolute.</summary>
    Fraction,
    /// <summary>A count (topics recovered, matching features): integer steps. Band floor 1.</summary>
    Count,
    /// <summary>A loss or divergence in nats, an MSE, an L1 norm: unbounded and scale-dependent. Band floor 1% of |mean|.</summary>
    Loss,
    /// <summary>Average active latents (L0) and similar sparsity figures. Band floor 2% of |mean|.</summary>
    Sparsity,
    /// <summary>A size or setting echoed from the run (d_in, rows, steps, vocabulary size): must match exactly.</summary>
    Size,
    /// <summary>Speed or duration (tokens/s, seconds): depends on the machine; never compared.</summary>
    Throughput,
    /// <summary>An index or identifier (the feature a topic matched): a label, not a quantity; never compared.</summary>
    Identifier,
}

/// <summary>Which way a metric is better, when it has one.</summary>
public enum MetricDirection
{
    /// <summary>No better direction (or not known): a change either way is a change.</summary>
    TwoSided,
    /// <summary>Higher is better.</summary>
    HigherIsBetter,
    /// <summary>Lower is better.</summary>
    LowerIsBetter,
}

/// <summary>One change of a metric's definition: the version it produced and what changed from the one before.</summary>
public sealed record MetricChange(int Version, string Since, string What);

/// <summary>
/// The definition of one metric or family of metrics: a stable <see cref="Id"/>, the metric names it covers
/// (<see cref="Pattern"/>, <c>&lt;name&gt;</c> for one dot-free segment), the formula and convention in words, and
/// a <see cref="Version"/> that changes whenever the number it yields for the same run would change.
/// </summary>
public sealed record MetricDefinition
{
    /// <summary>The stable id (letters, digits, <c>_</c>, <c>.</c>, <c>-</c>): also an MLflow tag key suffix.</summary>
    public required string Id { get; init; }

    /// <summary>The metric names it covers, stage-prefixed as in metrics.json: <c>evaluate.fvu</c>, <c>steer.&lt;setting&gt;.topic_fraction</c>.</summary>
    public required string Pattern { get; init; }

    /// <summary>The formula, in words and symbols.</summary>
    public required string Formula { get; init; }

    /// <summary>The convention that distinguishes it from same-named metrics elsewhere (normalisation, direction of a KL, units).</summary>
    public required string Convention { get; init; }

    /// <summary>The kind of quantity (how it compares, its band floor).</summary>
    public required MetricKind Kind { get; init; }

    /// <summary>Which way is better.</summary>
    public MetricDirection Direction { get; init; } = MetricDirection.TwoSided;

    /// <summary>The current definition version (1 for a definition never changed).</summary>
    public int Version { get; init; } = 1;

    /// <summary>The Runner version (or date) the current definition appeared in.</summary>
    public string Since { get; init; } = "0.1.0";

    /// <summary>Earlier changes, oldest first; the last one's <see cref="MetricChange.Version"/> is <see cref="Version"/> when non-empty.</summary>
    public IReadOnlyList<MetricChange> History { get; init; } = [];

    /// <summary>False for speeds, durations and identifiers: not compared by check, reproduce or bands.</summary>
    public bool Comparable => Kind is not (MetricKind.Throughput or MetricKind.Identifier);

    /// <summary>The smallest tolerance a seed band of this metric gets, around <paramref name="mean"/>.</summary>
    public double BandFloor(double mean) => Kind switch
    {
        MetricKind.Score => 0.001,
        MetricKind.Fraction => 0.01,
        MetricKind.Count => 1,
        MetricKind.Loss => 0.01 * Math.Abs(mean),
        MetricKind.Sparsity => 0.02 * Math.Abs(mean),
        _ => 0,
    };
}
