namespace Runner.Pipeline.Stages;

/// <summary>A stage starts computing (it was not cached, or it was forced).</summary>
public sealed record StageStarted : PipelineEvent
{
    /// <summary>The key being computed.</summary>
    public required string Key { get; init; }

    /// <summary>True when a valid entry may exist but --force or --no-cache asked for a recomputation.</summary>
    public bool Forced { get; init; }
}
