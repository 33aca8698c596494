namespace Runner.Pipeline.Stages;

/// <summary>A point ended: its run folder is written, or a stage failed.</summary>
public sealed record PointFinished : PipelineEvent
{
    /// <summary>The run folder, when the point succeeded.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>The failure, when a stage failed.</summary>
    public StageFailedException? Error { get; init; }
}
