namespace Runner.Hooks.FSharp;

/// <summary>
/// The F# file compiled before every script: it opens the context API, so scripts need no
/// <c>#r</c> or <c>open</c> lines for it.
/// </summary>
internal static class HookPrelude
{
    public const string FileName = "RunnerHookPrelude.fs";

    public const string Text = """
        [<AutoOpen>]
        module RunnerHookPrelude

        /// Everything a hook gets: see Runner.Pipeline.Hooks.HookContext.
        type HookContext = Runner.Pipeline.Hooks.HookContext
        /// One column of a table for ctx.WriteParquet.
        type HookColumn = Runner.Pipeline.Hooks.HookColumn
        /// The run's trained SAE.
        type HookSae = Runner.Pipeline.Hooks.HookSae
        /// A clamp for ctx.Generate: FeatureClamp(feature, ClampMode.Value, amount).
        type FeatureClamp = Runner.Core.Steering.FeatureClamp
        /// How a FeatureClamp changes a feature: Value, Scale, Add.
        type ClampMode = Runner.Core.Steering.ClampMode
        """;
}
