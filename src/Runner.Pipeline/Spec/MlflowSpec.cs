namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>tracking.mlflow</c> section.</summary>
public sealed record MlflowSpec
{
    /// <summary>MLflow experiment name (created if missing); resolved to the spec's name when not given.</summary>
    public string? Experiment { get; init; }

    /// <summary>Tracking URI; null = <c>$MLFLOW_TRACKING_URI</c>, else the file store <c>./mlruns</c>.</summary>
    public string? Uri { get; init; }
}
