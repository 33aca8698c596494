using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline.Hooks;

/// <summary>
/// The hook scripts of one <c>when</c>, run in spec order as one stage: <c>hooks_after_train</c>,
/// <c>hooks_after_evaluate</c>, <c>hooks_after_steer</c> and <c>hooks</c> (at the end, after every
/// other stage). Its key hashes each script's content and args, and its inputs' keys, so editing a
/// script reruns only its stage. Outputs: <c>tables/*.parquet</c> (copied into the run's tables/),
/// <c>artifacts/SCRIPT/*</c> (in the run folder under <c>stages/STAGE/</c>; in MLflow under <c>hooks/STAGE/</c>),
/// <c>params.json</c>, and the metrics each script logged, as <c>STAGE.SCRIPT.NAME</c>.
/// </summary>
public sealed class HookStage(HookWhen when, IScriptHost? host) : IStage
{
    /// <summary>Where logged artifacts go inside the stage's entry.</summary>
    public const string ArtifactsFolder = "artifacts";

    /// <summary>The params the scripts logged (name -> value), inside the stage's entry.</summary>
    public const string ParamsFile = "params.json";

    /// <summary>Names of the four hook stages, by <see cref="HookWhen"/>.</summary>
    public static string StageName(HookWhen when) => when switch
    {
        HookWhen.AfterTrain => "hooks_after_train",
        HookWhen.AfterEvaluate => "hooks_after_evaluate",
        HookWhen.AfterSteer => "hooks_after_steer",
        _ => "hooks",
    };

    /// <summary>True for the name of one of the hook stages.</summary>
    public static bool IsHookStage(string name) => name == "hooks" || name.StartsWith("hooks_after_", StringComparison.Ordinal);

    /// <summary>Which scripts this stage runs.</summary>
    public HookWhen When { get; } = when;

    /// <inheritdoc/>
    public string Name => StageName(When);

    /// <inheritdoc/>
    public int Version => 1;

    /// <inheritdoc/>
    public IReadOnlyList<string> Inputs => When switch
    {
        HookWhen.AfterTrain => ["pretrain", "capture", "train"],
        HookWhen.AfterEvaluate => ["pretrain", "capture", "train", "evaluate"],
        HookWhen.AfterSteer => ["pretrain", "capture", "train", "evaluate", "steer"],
        _ => ["pretrain", "capture", "train", "evaluate", "steer", "hooks_after_train", "hooks_after_evaluate", "hooks_after_steer"],
    };

    /// <inheritdoc/>
    public IReadOnlyList<string> ExcludedFields => [];

    /// <inheritdoc/>
    public bool AppliesTo(ResolvedPoint point) => Scripts(point).Any();

    /// <inheritdoc/>
    public JsonNode? SpecSlice(ResolvedPoint point)
    {
        // The script's content, not its path: moving a script keeps the cache, editing it misses.
        var scripts = new JsonArray();
        foreach (var s in Scripts(point))
            scripts.Add(new JsonObject
            {
                ["script"] = Path.GetFileName(s.Path),
                ["sha256"] = File.Exists(s.Path) ? Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(s.Path))) : "missing",
                // Re-parsed: values deserialized into the typed spec are not all ones CanonicalJson reads.
                ["args"] = JsonNode.Parse(JsonSerializer.Serialize(s.Args)),
            });
        return new JsonObject { ["scripts"] = scripts };
    }

    /// <inheritdoc/>
    public async Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken)
    {
        if (host is null) throw new RunnerException($"stage {Name}: no F# script host is available in this process");
        var recorder = new HookRecorder();
        var scripts = Scripts(context.Point).ToList();
        for (var i = 0; i < scripts.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            context.Report(i, scripts.Count, "scripts", Path.GetFileName(scripts[i].Path));
            using var hook = new HookContext(context, scripts[i], recorder);
            await host.RunAsync(scripts[i].Path, hook, cancellationToken).ConfigureAwait(false);
        }
        context.Report(scripts.Count, scripts.Count, "scripts");
        if (recorder.Params.Count > 0)
            File.WriteAllText(Path.Combine(context.OutputDirectory, ParamsFile), JsonSerializer.Serialize(recorder.Params, Hashing.CanonicalJson.SerializerOptions));
        return new StageResult { Metrics = recorder.Metrics, Notes = [$"{scripts.Count} script(s): {string.Join(", ", scripts.Select(s => Path.GetFileName(s.Path)))}"] };
    }

    private IEnumerable<HookScriptSpec> Scripts(ResolvedPoint point) => point.Spec.Hooks.Where(h => h.When == When);
}
