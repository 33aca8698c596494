namespace Runner.Pipeline.Tracking;

/// <summary>
/// The tracking backend seam: the MLflow file store (<see cref="MlflowFileStore"/>) or the MLflow
/// REST API (<see cref="MlflowRestClient"/>); "no tracking" is the absence of a tracker. Every call
/// may be repeated after a failure without creating duplicates: the caller passes
/// <c>mayExist</c>/<c>mayBeLogged</c> when an earlier attempt's outcome is unknown.
/// Failures are <see cref="TrackingException"/>s that say whether a retry can help.
/// </summary>
public interface IRunTracker : IDisposable
{
    /// <summary>Where records go, for messages (<c>./mlruns</c>, <c>http://host:5000</c>); never holds credentials.</summary>
    string Display { get; }

    /// <summary>The id of the active experiment called <paramref name="name"/>, created if missing.</summary>
    Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Creates a run; with <paramref name="mayExist"/> first looks for a run created by an earlier
    /// attempt with the same <see cref="MlflowRunStart.Token"/> and returns that one instead.
    /// </summary>
    Task<MlflowRunHandle> CreateRunAsync(string experimentId, MlflowRunStart start, bool mayExist, CancellationToken cancellationToken);

    /// <summary>
    /// Logs one batch within MLflow's limits (at most 1000 metrics, 100 params, 100 tags). With
    /// <paramref name="mayBeLogged"/>, metrics the run already has (same key, step, timestamp and
    /// value) are left out, so a batch whose first attempt may have landed is not duplicated.
    /// </summary>
    Task LogBatchAsync(MlflowRunHandle run, IReadOnlyList<MlflowMetric> metrics, IReadOnlyList<KeyValuePair<string, string>> parameters,
        IReadOnlyList<KeyValuePair<string, string>> tags, bool mayBeLogged, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="localFile"/> as the artifact <paramref name="artifactPath"/> ('/'-separated) of the run (replacing it).</summary>
    Task UploadArtifactAsync(MlflowRunHandle run, string artifactPath, string localFile, CancellationToken cancellationToken);

    /// <summary>Sets the run's terminal status (<c>FINISHED</c>, <c>FAILED</c>, <c>KILLED</c>) and end time (epoch ms).</summary>
    Task UpdateRunAsync(MlflowRunHandle run, string status, long endTime, CancellationToken cancellationToken);
}
