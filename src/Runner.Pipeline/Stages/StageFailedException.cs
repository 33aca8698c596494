using Runner.Core;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

/// <summary>A stage threw: exit code 1. Entries of other stages stay; the failed stage leaves none.</summary>
public sealed class StageFailedException : RunnerException
{
    /// <summary>Wraps <paramref name="inner"/>, thrown by <paramref name="stage"/> for <paramref name="point"/>.</summary>
    public StageFailedException(string stage, ResolvedPoint point, Exception inner)
        : base($"stage {stage} failed (point {point.Index}, {point.RunName}): {inner.Message}", exitCode: 1, inner)
    {
        Stage = stage;
        PointIndex = point.Index;
        RunName = point.RunName;
    }

    /// <summary>The stage that failed.</summary>
    public string Stage { get; }

    /// <summary>The point it failed for.</summary>
    public int PointIndex { get; }

    /// <summary>That point's run name.</summary>
    public string RunName { get; }
}
