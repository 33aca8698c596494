using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Core.Generation;
using Runner.Core.IO;
using Runner.Core.Models;
using Runner.Core.Sae;
using Runner.Core.Steering;
using Runner.Core.Tokenizers;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// steer: generation from <c>steer.prompts</c> with the unclamped model (setting <c>baseline</c>), with each
/// clamp of <c>steer.clamps</c> (one setting each) and with every feature of <c>steer.ablate</c> set to 0 (one more
/// setting). Clamps act through the SAE at the hook with its error term preserved. Every setting uses the same
/// sampling seed per prompt, so differences come from the clamp, not the draw. Files: settings.json (each setting
/// with its resolved feature indices and values), completions.jsonl (one line per sample: setting, prompt, text,
/// token ids, per-token log-probabilities) and summary.json (per-setting statistics).
/// </summary>
public sealed class SteerStage : IStage
{
    /// <inheritdoc/>
    public string Name => "steer";

    /// <inheritdoc/>
    public int Version => 1;

    /// <inheritdoc/>
    public IReadOnlyList<string> Inputs => ["train", "evaluate"];

    /// <inheritdoc/>
    public IReadOnlyList<string> ExcludedFields => [];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> RunLinks { get; } = new Dictionary<string, string> { ["completions.jsonl"] = "completions.jsonl" };

    /// <inheritdoc/>
    public bool AppliesTo(ResolvedPoint point) =>
        point.Spec.Data.Synthetic is null && (point.Spec.Steer.Clamps.Count > 0 || point.Spec.Steer.Ablate.Count > 0);

    /// <inheritdoc/>
    public JsonNode? SpecSlice(ResolvedPoint point)
    {
        var slice = SpecSlices.Take(point.Json, "seed", "steer", "hook", "data.bos", "model.dtype");
        slice["device_class"] = StageDevice.Class(point.Spec.Device);
        return slice;
    }

    /// <inheritdoc/>
    public Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken) =>
        Task.Run(() => Run(context, cancellationToken), cancellationToken);

    private static StageResult Run(StageContext context, CancellationToken ct)
    {
        var spec = context.Point.Spec;
        var steer = spec.Steer;
        var device = StageDevice.Resolve(spec.Device);
        var resolved = LanguageModels.Resolve(context);
        var tokenizer = TokenizerLoader.Load(resolved.Directory);
        using var model = LanguageModels.Load(resolved, device, spec.Model.Dtype);
        LanguageModels.CheckHook(spec.Hook, model);
        var point = LanguageModels.Point(spec.Hook);
        using var saved = SaeLensFolder.Load(Path.Combine(context.Input("train").Directory, "sae"));
        using var sae = SaeFactory.FromSaeLens(saved.Config.Architecture, saved.Config.K, saved.Weights, device);
        double[] maxActivation, density;
        using (var scope = TensorScope.Enter())
        using (var stats = SafetensorsFile.Open(Path.Combine(context.Input("evaluate").Directory, "feature_stats.safetensors")))
        {
            maxActivation = stats.Read("max_activation", DType.Float64).ToArray<double>();
            density = stats.Read("density", DType.Float64).ToArray<double>();
        }

        var settings = Settings(steer, maxActivation, density, (ulong)spec.Seed);
        var sampling = new SamplingOptions { Greedy = steer.Generate.Greedy, Temperature = steer.Generate.Temperature, TopK = steer.Generate.TopK, TopP = steer.Generate.TopP };
        var prompts = steer.Prompts.Select(p => LanguageModels.PromptIds(tokenizer, model.Config, p, spec.Data.Bos)).ToArray();
        var stop = tokenizer.EosId;

        var output = context.OutputDirectory;
        var lines = new List<string>();
        var summary = new JsonArray();
        var metrics = new Dictionary<string, double>();
        var total = settings.Count * prompts.Length;
        var finished = 0;
        foreach (var setting in settings)
        {
            double logProbSum = 0;
            long tokenCount = 0;
            for (var p = 0; p < prompts.Length; p++)
            {
                ct.ThrowIfCancellationRequested();
                var hooks = setting.Clamps.Count == 0 ? null : new Dictionary<HookPoint, ActivationHook>
                {
                    [point] = SaeHooks.Clamp(sae, setting.Clamps, setting.Positions, prompts[p].Length),
                };
                var sampler = new TokenSampler(sampling, Seeds.Mix((ulong)spec.Seed, (ulong)p));
                var result = TextGenerator.Generate(model, prompts[p], steer.Generate.Samples, steer.Generate.Tokens, sampler, hooks, stop);
                for (var s = 0; s < result.Tokens.Length; s++)
                {
                    var ids = result.Tokens[s];
                    var lp = result.LogProbs[s];
                    logProbSum += lp.Sum(v => (double)v);
                    tokenCount += ids.Length;
                    lines.Add(new JsonObject
                    {
                        ["setting"] = setting.Label,
                        ["prompt"] = steer.Prompts[p],
                        ["sample"] = s,
                        ["text"] = tokenizer.Decode(ids, skipSpecial: true),
                        ["ids"] = new JsonArray([.. ids.Select(i => (JsonNode)i)]),
                        ["logprobs"] = new JsonArray([.. lp.Select(v => (JsonNode)Math.Round(v, 5))]),
                        ["mean_logprob"] = ids.Length == 0 ? 0 : Math.Round(lp.Average(v => (double)v), 5),
                    }.ToJsonString());
                }
                context.Report(++finished, total, "prompts");
            }
            var meanLogProb = tokenCount == 0 ? 0 : logProbSum / tokenCount;
            metrics[setting.Label + ".mean_logprob"] = meanLogProb;
            metrics[setting.Label + ".tokens"] = tokenCount;
            summary.Add(new JsonObject
            {
                ["setting"] = setting.Label,
                ["clamps"] = setting.Describe(),
                ["completions"] = prompts.Length * steer.Generate.Samples,
                ["tokens"] = tokenCount,
                ["mean_logprob"] = meanLogProb,
            });
        }
        Write(Path.Combine(output, "completions.jsonl"), string.Join("\n", lines) + "\n");
        var indented = new JsonSerializerOptions { WriteIndented = true };
        Write(Path.Combine(output, "settings.json"), new JsonArray([.. settings.Select(s => (JsonNode)new JsonObject
        {
            ["label"] = s.Label, ["positions"] = s.Positions.ToString().ToLowerInvariant(), ["clamps"] = s.Describe(),
        })]).ToJsonString(indented));
        Write(Path.Combine(output, "summary.json"), summary.ToJsonString(indented));
        return new StageResult { Metrics = metrics, Notes = [$"{settings.Count} settings x {prompts.Length} prompts x {steer.Generate.Samples} samples"] };
    }

    /// <summary>One steering setting: a label and the clamps it applies.</summary>
    internal sealed record Setting(string Label, IReadOnlyList<FeatureClamp> Clamps, PositionFilter Positions)
    {
        public JsonArray Describe() => new([.. Clamps.Select(c => (JsonNode)new JsonObject
        {
            ["feature"] = c.Feature, ["mode"] = c.Mode.ToString().ToLowerInvariant(), ["amount"] = c.Amount,
        })]);
    }

    /// <summary>baseline, one setting per clamp, and the ablation set; features resolved to indices, multiples of max to values.</summary>
    internal static List<Setting> Settings(SteerSpec steer, double[] maxActivation, double[] density, ulong seed)
    {
        var dSae = maxActivation.Length;
        var settings = new List<Setting> { new("baseline", [], PositionFilter.All) };
        var labels = new HashSet<string>(StringComparer.Ordinal) { "baseline" };
        for (var i = 0; i < steer.Clamps.Count; i++)
        {
            var c = steer.Clamps[i];
            var feature = Feature(c.Feature, $"steer.clamps[{i}].feature", dSae, density, Seeds.Mix(seed, 0x5eed + (ulong)i));
            var (mode, amount, text) = c switch
            {
                { Value: { } v } => (ClampMode.Value, v, $"={Num(v)}"),
                { MultipleOfMax: { } m } => (ClampMode.Value, m * maxActivation[feature], $"={Num(m)}xmax"),
                { Scale: { } s } => (ClampMode.Scale, s, $"*{Num(s)}"),
                { Add: { } a } => (ClampMode.Add, a, $"+{Num(a)}"),
                _ => throw new RunnerException($"steer.clamps[{i}]: needs one of value, multiple_of_max, scale, add", 2),
            };
            var label = c.Label ?? $"{(c.Feature.IsRandom ? "random:" : "")}f{feature}{text}";
            for (var n = 2; !labels.Add(label); n++) label = $"{c.Label ?? "clamp"}#{n}";
            var positions = c.Positions switch
            {
                ClampPositions.Prompt => PositionFilter.Prompt,
                ClampPositions.Generated => PositionFilter.Generated,
                _ => PositionFilter.All,
            };
            settings.Add(new(label, [new FeatureClamp(feature, mode, amount)], positions));
        }
        if (steer.Ablate.Count > 0)
        {
            var features = steer.Ablate.Select((f, i) => Feature(f, $"steer.ablate[{i}]", dSae, density, Seeds.Mix(seed, 0xab1a7e + (ulong)i))).Distinct().ToArray();
            settings.Add(new("ablate", [.. features.Select(f => new FeatureClamp(f, ClampMode.Value, 0))], PositionFilter.All));
        }
        return settings;
    }

    private static int Feature(FeatureRef reference, string key, int dSae, double[] density, ulong seed)
    {
        if (reference.Index is { } index)
            return index < dSae ? index : throw new RunnerException($"{key}: feature {index} does not exist (the SAE has {dSae} features)", 2);
        if (reference.Topic is { } topic)
            throw new RunnerException($"{key}: auto:{topic} needs feature-to-topic matching from ground-truth topics, which only the toy model on the planted-topics corpus provides (the planted-topics issue); name a feature index", 2);
        var live = Enumerable.Range(0, dSae).Where(i => density[i] > 0).ToArray();
        if (live.Length == 0) throw new RunnerException($"{key}: random needs a live feature, but every feature is dead in evaluation", 2);
        return live[(int)(seed % (ulong)live.Length)];
    }

    private static string Num(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static void Write(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

/// <summary>Derives independent seeds from one (SplitMix64's finalizer over the pair).</summary>
internal static class Seeds
{
    public static ulong Mix(ulong seed, ulong stream)
    {
        var z = seed + 0x9E3779B97F4A7C15UL * (stream + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
