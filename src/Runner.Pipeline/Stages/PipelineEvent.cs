namespace Runner.Pipeline.Stages;

/// <summary>
/// Something the pipeline reports while it runs; the CLI renders these (Pipeline never writes to the
/// console). Events may arrive from any thread.
/// </summary>
public abstract record PipelineEvent
{
    /// <summary>The point's index, when the event concerns one.</summary>
    public int? PointIndex { get; init; }

    /// <summary>The point's run name, when the event concerns one.</summary>
    public string? RunName { get; init; }

    /// <summary>The stage, when the event concerns one.</summary>
    public string? Stage { get; init; }
}
