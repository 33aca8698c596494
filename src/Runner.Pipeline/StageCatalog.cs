using Runner.Pipeline.Builtin;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline;

/// <summary>
/// The one place where Runner's stages are registered, explicitly (no reflection scanning).
/// capture (synthetic data for now), train and evaluate are here; pretrain, model capture, steer and
/// hooks are added by the issues that build them.
/// </summary>
public static class StageCatalog
{
    /// <summary>New instances of every stage, in no particular order (the graph orders them).</summary>
    public static IReadOnlyList<IStage> Create() => [new CaptureStage(), new TrainStage(), new EvaluateStage()];
}
