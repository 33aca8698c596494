namespace Runner.Pipeline.Stages;

/// <summary>A point ended: its run folder is written, or a stage failed (and a run folder recording the failure is written).</summary>
public sealed record PointFinished : PipelineEvent
{
    /// <summary>The run folder (a failed point's records the failure), when one was written.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>The failure, when a stage failed.</summary>
    public StageFailedException? Error { get; init; }
}
