namespace Runner.Pipeline.Stages;

/// <summary>A point ended: its run folder is written, or a stage failed or it was cancelled (and a run folder recording that is written).</summary>
public sealed record PointFinished : PipelineEvent
{
    /// <summary>The run folder (a failed point's records the failure), when one was written.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>True when the point was interrupted by cancellation (its run folder, if any, records it as killed).</summary>
    public bool Killed { get; init; }

    /// <summary>The failure, when a stage failed.</summary>
    public StageFailedException? Error { get; init; }
}
