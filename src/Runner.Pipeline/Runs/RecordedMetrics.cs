using Runner.Pipeline.Metrics;

namespace Runner.Pipeline.Runs;

/// <summary>
/// Final metrics as a record holds them (a run folder's metrics.json, an MLflow run): the values and the metric
/// definition versions they were computed under, id -> version; <see cref="Definitions"/> is null for a record made
/// before definitions were versioned, whose every definition is taken as version 1.
/// </summary>
public sealed record RecordedMetrics(IReadOnlyDictionary<string, double> Values, IReadOnlyDictionary<string, int>? Definitions)
{
    /// <summary>The note for a record without versions.</summary>
    public const string UnversionedNote = "unversioned record, taken as v1";

    /// <summary>False for a record made before definitions were versioned.</summary>
    public bool Versioned => Definitions is not null;

    /// <summary>
    /// The version of <paramref name="definition"/> the record's metric was computed under: the recorded one, else 1
    /// (an unversioned record, or an id the recording Runner did not know yet, which had never changed then).
    /// </summary>
    public int VersionOf(MetricDefinition definition) =>
        Definitions is not null && Definitions.TryGetValue(definition.Id, out var v) ? v : 1;
}
