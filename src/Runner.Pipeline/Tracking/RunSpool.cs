namespace Runner.Pipeline.Tracking;

/// <summary>
/// A run folder's <c>.tracking/state.json</c>: where it is logged (target, experiment), what the
/// logging process knew (status, parent, context), and how far logging got (the MLflow run id and
/// counts of params, tags and metrics confirmed, artifacts uploaded). The records themselves are
/// read again from the run folder, which never changes, so a replay resumes exactly where it stopped.
/// </summary>
internal sealed class RunSpool
{
    /// <summary>Format version.</summary>
    public int Format { get; set; } = 1;

    /// <summary>The target's key (<see cref="TrackingTarget.Key"/>).</summary>
    public string Target { get; set; } = "";

    /// <summary>The MLflow experiment name.</summary>
    public string Experiment { get; set; } = "";

    /// <summary>FINISHED, FAILED or KILLED.</summary>
    public string Status { get; set; } = "FINISHED";

    /// <summary>The sweep token of the parent run, when <see cref="ParentIsSweep"/>; else an MLflow run id, or null.</summary>
    public string? Parent { get; set; }

    /// <summary>True when <see cref="Parent"/> names a sweep file next to the run folder.</summary>
    public bool ParentIsSweep { get; set; }

    /// <summary>The logging process's context (tags).</summary>
    public TrackingContext Context { get; set; } = new();

    /// <summary>When the run folder was handed to tracking (epoch ms); the run's times when stages.json has none.</summary>
    public long Queued { get; set; }

    /// <summary>The create token (<see cref="MlflowRunStart.Token"/>).</summary>
    public string Token { get; set; } = "";

    /// <summary>The MLflow experiment id, once known.</summary>
    public string? ExperimentId { get; set; }

    /// <summary>The MLflow run id, once created.</summary>
    public string? RunId { get; set; }

    /// <summary>The run's artifact root, once created.</summary>
    public string? ArtifactUri { get; set; }

    /// <summary>True once a create request may have reached the target.</summary>
    public bool CreateAttempted { get; set; }

    /// <summary>Params confirmed (a prefix of the run's param list).</summary>
    public int ParamsSent { get; set; }

    /// <summary>Tags confirmed (a prefix of the run's tag list).</summary>
    public int TagsSent { get; set; }

    /// <summary>Metrics confirmed (a prefix of the run's metric list).</summary>
    public int MetricsSent { get; set; }

    /// <summary>Digest of the metric list the counts refer to; a different list means reconciling with the target.</summary>
    public string? MetricsDigest { get; set; }

    /// <summary>True while a metric batch was sent without a confirmed reply: it is reconciled before it is sent again.</summary>
    public bool MetricsUncertain { get; set; }

    /// <summary>Artifact paths uploaded.</summary>
    public List<string> ArtifactsSent { get; set; } = [];

    /// <summary>Why artifacts were skipped (the target cannot take them), or null.</summary>
    public string? ArtifactsError { get; set; }

    /// <summary>True when the run has its terminal status: everything is logged.</summary>
    public bool Complete { get; set; }

    /// <summary>The last failure, or null.</summary>
    public string? Error { get; set; }

    /// <summary>True when the target refused a request (a replay tries again, but retries within one attempt do not).</summary>
    public bool Rejected { get; set; }
}
