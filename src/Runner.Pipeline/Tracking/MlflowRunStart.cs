namespace Runner.Pipeline.Tracking;

/// <summary>What <see cref="IRunTracker.CreateRunAsync"/> needs to create one MLflow run.</summary>
public sealed record MlflowRunStart
{
    /// <summary>
    /// 32 lowercase hex digits chosen before the first attempt and kept in the spool: the file store
    /// uses it as the run id, a server gets it as the tag <c>runner.log_token</c>, so a create whose
    /// reply was lost is found again instead of being repeated.
    /// </summary>
    public required string Token { get; init; }

    /// <summary>The run name (also the tag <c>mlflow.runName</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Start time, epoch milliseconds.</summary>
    public required long StartTime { get; init; }

    /// <summary>The MLflow user id.</summary>
    public required string UserId { get; init; }

    /// <summary>Tags set at creation (mlflow.* system tags and the parent link).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; }
}
