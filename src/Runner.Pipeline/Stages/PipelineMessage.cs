namespace Runner.Pipeline.Stages;

/// <summary>A line of text from the pipeline or a stage (what would otherwise go to a log).</summary>
public sealed record PipelineMessage : PipelineEvent
{
    /// <summary>Severity.</summary>
    public required MessageLevel Level { get; init; }

    /// <summary>The text, one line.</summary>
    public required string Text { get; init; }
}
