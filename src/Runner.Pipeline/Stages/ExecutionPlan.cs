namespace Runner.Pipeline.Stages;

/// <summary>What <c>runner run --dry-run</c> prints: every selected point's stages, keys and whether each is cached.</summary>
public sealed record ExecutionPlan(IReadOnlyList<PointPlan> Points)
{
    /// <summary>How many stage computations a run would perform (shared keys counted once).</summary>
    public int ComputeCount => Points.Sum(p => p.Stages.Count(s => s.Action == StageAction.Compute));
}
