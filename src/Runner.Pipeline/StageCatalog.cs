using Runner.Pipeline.Builtin;
using Runner.Pipeline.Hooks;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline;

/// <summary>
/// The one place where Runner's stages are registered, explicitly (no reflection scanning):
/// pretrain (toy model), capture (synthetic data or a model), train, evaluate, steer, and the four
/// hook stages (one per <c>hooks[].when</c>), which run scripts through <paramref name="scriptHost"/>.
/// </summary>
public static class StageCatalog
{
    /// <summary>New instances of every stage, without a script host (a spec with hooks fails at its hook stage).</summary>
    public static IReadOnlyList<IStage> Create() => Create(null);

    /// <summary>New instances of every stage, in no particular order (the graph orders them).</summary>
    /// <param name="scriptHost">Compiles and runs hook scripts (the CLI passes the F# host); null: a spec with hooks fails at its hook stage.</param>
    public static IReadOnlyList<IStage> Create(IScriptHost? scriptHost) =>
    [
        new PretrainStage(), new CaptureStage(), new TrainStage(), new EvaluateStage(), new SteerStage(),
        new HookStage(HookWhen.AfterTrain, scriptHost), new HookStage(HookWhen.AfterEvaluate, scriptHost),
        new HookStage(HookWhen.AfterSteer, scriptHost), new HookStage(HookWhen.End, scriptHost),
    ];
}
