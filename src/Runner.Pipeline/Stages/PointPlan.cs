using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

/// <summary>The plan of one point: its stages in order, with keys and cache state.</summary>
public sealed record PointPlan(ResolvedPoint Point, IReadOnlyList<StagePlan> Stages);
