namespace Runner.Pipeline.Tracking;

/// <summary>A run read back from an MLflow server: its handle, tags, params and latest metric values (one per key).</summary>
/// <param name="Run">The run's id, experiment id and artifact root.</param>
/// <param name="Tags">The run's tags.</param>
/// <param name="Params">The run's params.</param>
/// <param name="Metrics">The latest value of each metric key, with its step and timestamp.</param>
public sealed record MlflowRunRecord(
    MlflowRunHandle Run,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyList<MlflowMetric> Metrics);
