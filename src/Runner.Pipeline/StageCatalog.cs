using Runner.Pipeline.Stages;

namespace Runner.Pipeline;

/// <summary>
/// The one place where Runner's stages are registered, explicitly (no reflection scanning).
/// pretrain, capture, train, evaluate, steer and hooks are added here by the issues that build them;
/// until then a run resolves and records its spec but has no stage to compute.
/// </summary>
public static class StageCatalog
{
    /// <summary>New instances of every stage, in no particular order (the graph orders them).</summary>
    public static IReadOnlyList<IStage> Create() => [];
}
