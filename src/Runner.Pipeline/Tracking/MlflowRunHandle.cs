namespace Runner.Pipeline.Tracking;

/// <summary>An MLflow run as the tracker knows it after creation.</summary>
/// <param name="RunId">The MLflow run id.</param>
/// <param name="ExperimentId">The experiment id.</param>
/// <param name="ArtifactUri">The run's artifact root (<c>mlflow-artifacts:/1/ID/artifacts</c>, <c>file:///…</c>).</param>
public sealed record MlflowRunHandle(string RunId, string ExperimentId, string ArtifactUri);
