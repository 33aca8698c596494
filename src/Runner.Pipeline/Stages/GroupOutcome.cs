namespace Runner.Pipeline.Stages;

/// <summary>One member's outcome in <see cref="IGroupStage.RunGroupAsync"/>: its result, or the error that failed it.</summary>
public sealed record GroupOutcome(StageResult? Result, Exception? Error);
