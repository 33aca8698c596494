namespace Runner.Pipeline.Tracking;

/// <summary>
/// A sweep's parent run, spooled in <c>runs/&lt;experiment&gt;/.tracking/sweeps/&lt;token&gt;.json</c> next to
/// its points: created before the first child is logged, terminated when the sweep ends.
/// </summary>
internal sealed class SweepSpool
{
    /// <summary>Format version.</summary>
    public int Format { get; set; } = 1;

    /// <summary>The target's key.</summary>
    public string Target { get; set; } = "";

    /// <summary>The MLflow experiment name.</summary>
    public string Experiment { get; set; } = "";

    /// <summary>The parent run's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>Tags given by the caller.</summary>
    public Dictionary<string, string> Tags { get; set; } = [];

    /// <summary>The logging process's context.</summary>
    public TrackingContext Context { get; set; } = new();

    /// <summary>The token (the id <see cref="RunTracking.StartSweep"/> returned; the file store's run id).</summary>
    public string Token { get; set; } = "";

    /// <summary>Start time (epoch ms).</summary>
    public long Started { get; set; }

    /// <summary>End time (epoch ms) once the sweep ended, else null.</summary>
    public long? Ended { get; set; }

    /// <summary>Terminal status once ended.</summary>
    public string? Status { get; set; }

    /// <summary>The owning process (host, pid, start marker): a sweep whose owner died is ended as KILLED by a replay.</summary>
    public string Host { get; set; } = "";

    /// <summary>The owning process id.</summary>
    public int Pid { get; set; }

    /// <summary>The owning process's start marker.</summary>
    public string? ProcessStart { get; set; }

    /// <summary>The MLflow experiment id, once known.</summary>
    public string? ExperimentId { get; set; }

    /// <summary>The MLflow run id, once created.</summary>
    public string? RunId { get; set; }

    /// <summary>The artifact root, once created.</summary>
    public string? ArtifactUri { get; set; }

    /// <summary>True once a create request may have reached the target.</summary>
    public bool CreateAttempted { get; set; }

    /// <summary>True once the tags are logged.</summary>
    public bool TagsSent { get; set; }

    /// <summary>True once terminated.</summary>
    public bool Complete { get; set; }

    /// <summary>The last failure, or null.</summary>
    public string? Error { get; set; }
}
