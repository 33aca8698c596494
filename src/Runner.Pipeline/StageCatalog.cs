using Runner.Pipeline.Builtin;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline;

/// <summary>
/// The one place where Runner's stages are registered, explicitly (no reflection scanning).
/// capture (synthetic data or an hf model), train, evaluate and steer are here; pretrain (toy model) and
/// hooks are added by the issues that build them.
/// </summary>
public static class StageCatalog
{
    /// <summary>New instances of every stage, in no particular order (the graph orders them).</summary>
    public static IReadOnlyList<IStage> Create() => [new PretrainStage(), new CaptureStage(), new TrainStage(), new EvaluateStage(), new SteerStage()];
}
