namespace Runner.Pipeline.Stages;

/// <summary>A point starts.</summary>
public sealed record PointStarted : PipelineEvent;
