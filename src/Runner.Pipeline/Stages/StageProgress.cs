namespace Runner.Pipeline.Stages;

/// <summary>A stage's progress: <see cref="Done"/> of <see cref="Total"/> <see cref="Unit"/> (e.g. 120000 of 1000000 tokens).</summary>
public sealed record StageProgress : PipelineEvent
{
    /// <summary>Work done so far.</summary>
    public double Done { get; init; }

    /// <summary>Total work, when known.</summary>
    public double? Total { get; init; }

    /// <summary>What is counted (tokens, steps, prompts).</summary>
    public string? Unit { get; init; }

    /// <summary>A short status (current loss, phase).</summary>
    public string? Message { get; init; }
}
