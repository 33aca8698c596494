using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Core.Data.Planted;
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
    public int Version => 3;

    /// <inheritdoc/>
    public IReadOnlyList<string> Inputs => ["train", "evaluate", "pretrain"];

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
        var point = LanguageModels.Point(spec.Hook);
        using var saved = SaeLensFolder.Load(Path.Combine(context.Input("train").Directory, "sae"));
        using var sae = SaeFactory.FromSaeLens(saved.Config.Architecture, saved.Config.K, saved.Weights, device);
        var evaluate = context.Input("evaluate").Directory;
        double[] maxActivation, density;
        using (var scope = TensorScope.Enter())
        using (var stats = SafetensorsFile.Open(Path.Combine(evaluate, "feature_stats.safetensors")))
        {
            maxActivation = stats.Read("max_activation", DType.Float64).ToArray<double>();
            density = stats.Read("density", DType.Float64).ToArray<double>();
        }
        var topicFile = Path.Combine(evaluate, TopicEvaluation.FileName);
        var (topics, nonTopic) = File.Exists(topicFile) ? TopicEvaluation.Read(topicFile) : (null, null);
        var vocabulary = spec.Model.Source == ModelSource.Toy
            ? PlantedVocabulary.Load(Path.Combine(resolved.Directory, ModelCapture.PlantedVocabularyFile))
            : null;

        var settings = Settings(steer, maxActivation, density, topics, nonTopic, (ulong)spec.Seed);
        var sampling = new SamplingOptions { Greedy = steer.Generate.Greedy, Temperature = steer.Generate.Temperature, TopK = steer.Generate.TopK, TopP = steer.Generate.TopP };
        var promptSets = new Dictionary<PromptSet, (string Text, int[] Ids)[]>
        {
            [PromptSet.Prompts] = [.. steer.Prompts.Select(p => (p, LanguageModels.PromptIds(tokenizer, model.Config, p, spec.Data.Bos)))],
        };
        if (steer.TopicPrompts is { } tp && vocabulary is not null && steer.Topic is { } topicName)
            promptSets[PromptSet.TopicPrompts] = TopicPrompts(vocabulary, topicName, tp, (ulong)spec.Seed);
        var measured = vocabulary is not null && steer.Topic is { } t ? vocabulary.Topics.ToList().IndexOf(t) : -1;

        // A small model's one-token steps are too short to split across threads: one thread was ~25% faster for the
        // toy model here (steer 1.8 s vs 2.4 s). Restored afterwards.
        var threads = TorchRuntime.Threads;
        if (model.Config.DModel <= SmallModelWidth && device.IsCpu) TorchRuntime.Threads = 1;
        try
        {
            return Generate(context, spec, settings, promptSets, model, sae, point, tokenizer, vocabulary, measured, sampling, ct);
        }
        finally
        {
            TorchRuntime.Threads = threads;
        }
    }

    /// <summary>Models at most this wide generate on one CPU thread.</summary>
    private const int SmallModelWidth = 256;

    private static StageResult Generate(StageContext context, ExperimentSpec spec, List<Setting> settings,
        Dictionary<PromptSet, (string Text, int[] Ids)[]> promptSets, TransformerModel model, ISparseAutoencoder sae, HookPoint point,
        ITokenizer tokenizer, PlantedVocabulary? vocabulary, int measured, SamplingOptions sampling, CancellationToken ct)
    {
        var steer = spec.Steer;
        var stop = tokenizer.EosId;
        var output = context.OutputDirectory;
        var lines = new List<string>();
        var summary = new JsonArray();
        var metrics = new Dictionary<string, double>();
        var total = settings.Sum(s => promptSets[s.On].Length);
        var finished = 0;
        foreach (var setting in settings)
        {
            double logProbSum = 0;
            long tokenCount = 0;
            var topicStats = measured >= 0 ? new TopicGenerationStats(vocabulary!, measured) : null;
            var prompts = promptSets[setting.On];
            for (var p = 0; p < prompts.Length; p++)
            {
                ct.ThrowIfCancellationRequested();
                var (text, promptIds) = prompts[p];
                var hooks = setting.Clamps.Count == 0 ? null : new Dictionary<HookPoint, ActivationHook>
                {
                    [point] = SaeHooks.Clamp(sae, setting.Clamps, setting.Positions, promptIds.Length),
                };
                var sampler = new TokenSampler(sampling, Seeds.Mix((ulong)spec.Seed, (ulong)p + (setting.On == PromptSet.TopicPrompts ? 1UL << 32 : 0)));
                var result = TextGenerator.Generate(model, promptIds, steer.Generate.Samples, steer.Generate.Tokens, sampler, hooks, stop);
                for (var s = 0; s < result.Tokens.Length; s++)
                {
                    var ids = result.Tokens[s];
                    var lp = result.LogProbs[s];
                    logProbSum += lp.Sum(v => (double)v);
                    tokenCount += ids.Length;
                    topicStats?.Add(promptIds, ids);
                    lines.Add(new JsonObject
                    {
                        ["setting"] = setting.Label,
                        ["prompt"] = text,
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
            var entry = new JsonObject
            {
                ["setting"] = setting.Label,
                ["on"] = setting.On == PromptSet.TopicPrompts ? "topic_prompts" : "prompts",
                ["clamps"] = setting.Describe(),
                ["completions"] = prompts.Length * steer.Generate.Samples,
                ["tokens"] = tokenCount,
                ["mean_logprob"] = meanLogProb,
            };
            if (topicStats is not null)
            {
                metrics[setting.Label + ".topic_fraction"] = topicStats.TopicWordFraction;
                metrics[setting.Label + ".other_topic_fraction"] = topicStats.OtherTopicWordFraction;
                metrics[setting.Label + ".fluency"] = topicStats.Fluency;
                entry["topic"] = steer.Topic;
                entry["topic_fraction"] = topicStats.TopicWordFraction;
                entry["other_topic_fraction"] = topicStats.OtherTopicWordFraction;
                entry["fluency"] = topicStats.Fluency;
                entry["sentences"] = topicStats.Sentences;
            }
            summary.Add(entry);
        }
        Write(Path.Combine(output, "completions.jsonl"), string.Join("\n", lines) + "\n");
        var indented = new JsonSerializerOptions { WriteIndented = true };
        Write(Path.Combine(output, "settings.json"), new JsonArray([.. settings.Select(s => (JsonNode)new JsonObject
        {
            ["label"] = s.Label, ["on"] = s.On == PromptSet.TopicPrompts ? "topic_prompts" : "prompts",
            ["positions"] = s.Positions.ToString().ToLowerInvariant(), ["clamps"] = s.Describe(),
        })]).ToJsonString(indented));
        Write(Path.Combine(output, "summary.json"), summary.ToJsonString(indented));
        return new StageResult
        {
            Metrics = metrics,
            Notes = [$"{settings.Count} settings, {steer.Generate.Samples} samples per prompt"],
        };
    }

    // Openings of held-out planted documents that stay on the topic for the whole opening (after <doc>).
    private static (string, int[])[] TopicPrompts(PlantedVocabulary vocabulary, string topic, TopicPromptsSpec options, ulong seed)
    {
        var id = vocabulary.Topics.ToList().IndexOf(topic);
        var corpus = new PlantedCorpus(vocabulary, new PlantedCorpusOptions { Seed = seed + TextSequences.EvalSeedOffset + 1 });
        return [.. corpus.Documents()
            .Where(d => d.Ids.Length >= options.Tokens && d.Topics.AsSpan(1, options.Tokens - 1).IndexOfAnyExcept(id) < 0)
            .Take(options.Count)
            .Select(d => (vocabulary.Decode(d.Ids.AsSpan(0, options.Tokens)), d.Ids[..options.Tokens]))];
    }

    /// <summary>One steering setting: a label, the clamps it applies, where, and on which prompts.</summary>
    internal sealed record Setting(string Label, IReadOnlyList<FeatureClamp> Clamps, PositionFilter Positions, PromptSet On = PromptSet.Prompts)
    {
        public JsonArray Describe() => new([.. Clamps.Select(c => (JsonNode)new JsonObject
        {
            ["feature"] = c.Feature, ["mode"] = c.Mode.ToString().ToLowerInvariant(), ["amount"] = c.Amount,
        })]);
    }

    /// <summary>
    /// A baseline per prompt set in use, one setting per clamp, and the ablation set; features resolved to indices,
    /// multiples of max to values. Labels are metric-name safe (letters, digits, _ - .): <c>bridge_x2</c>,
    /// <c>f12_eq0</c>, <c>random_x2</c>, <c>ablate_bridge</c>, with <c>_on_topic</c> for settings on the topic prompts.
    /// </summary>
    internal static List<Setting> Settings(SteerSpec steer, double[] maxActivation, double[] density,
        IReadOnlyDictionary<string, (int? Auto, int[] Matching)>? topics, int[]? nonTopic, ulong seed)
    {
        var dSae = maxActivation.Length;
        var used = steer.Clamps.Select(c => c.On).Append(steer.Ablate.Count > 0 ? steer.AblateOn : PromptSet.Prompts).Distinct().OrderBy(o => o).ToList();
        var settings = used.Select(o => new Setting(o == PromptSet.Prompts ? "baseline" : "baseline_on_topic", [], PositionFilter.All, o)).ToList();
        var labels = new HashSet<string>(settings.Select(s => s.Label), StringComparer.Ordinal);
        for (var i = 0; i < steer.Clamps.Count; i++)
        {
            var c = steer.Clamps[i];
            var key = $"steer.clamps[{i}].feature";
            // Every `random` of a spec is the same feature, so a control at several multiples is one feature's curve.
            var feature = Feature(c.Feature, key, dSae, density, topics, nonTopic, Seeds.Mix(seed, 0x5eed));
            var (mode, amount, text) = c switch
            {
                { Value: { } v } => (ClampMode.Value, v, $"eq{Num(v)}"),
                { MultipleOfMax: { } m } => (ClampMode.Value, m * maxActivation[feature], $"x{Num(m)}"),
                { Scale: { } s } => (ClampMode.Scale, s, $"scale{Num(s)}"),
                { Add: { } a } => (ClampMode.Add, a, $"add{Num(a)}"),
                _ => throw new RunnerException($"steer.clamps[{i}]: needs one of value, multiple_of_max, scale, add", 2),
            };
            var who = c.Feature.Topic ?? (c.Feature.IsRandom ? "random" : $"f{feature}");
            var label = c.Label ?? $"{who}_{text}{(c.On == PromptSet.TopicPrompts ? "_on_topic" : "")}";
            for (var n = 2; !labels.Add(label); n++) label = $"{c.Label ?? who + "_" + text}_{n}";
            var positions = c.Positions switch
            {
                ClampPositions.Prompt => PositionFilter.Prompt,
                ClampPositions.Generated => PositionFilter.Generated,
                _ => PositionFilter.All,
            };
            settings.Add(new(label, [new FeatureClamp(feature, mode, amount)], positions, c.On));
        }
        if (steer.Ablate.Count > 0)
        {
            var features = steer.Ablate.SelectMany((f, i) => f.Topic is { } t
                    ? Matching(t, $"steer.ablate[{i}]", topics)
                    : [Feature(f, $"steer.ablate[{i}]", dSae, density, topics, nonTopic, Seeds.Mix(seed, 0x5eed))])
                .Distinct().Order().ToArray();
            var name = steer.Ablate.Count == 1 && steer.Ablate[0].Topic is { } only ? "ablate_" + only : "ablate";
            settings.Add(new(name, [.. features.Select(f => new FeatureClamp(f, ClampMode.Value, 0))], PositionFilter.All, steer.AblateOn));
        }
        return settings;
    }

    private static int[] Matching(string topic, string key, IReadOnlyDictionary<string, (int? Auto, int[] Matching)>? topics)
    {
        if (topics is null || !topics.TryGetValue(topic, out var t))
            throw new RunnerException($"{key}: auto:{topic} needs feature-to-topic matching, which evaluate computes only for data with ground-truth topics (the toy model on the planted-topics corpus)", 2);
        if (t.Matching.Length == 0)
            throw new RunnerException($"{key}: no feature matches topic '{topic}' with precision >= evaluate.topic_precision; see stages/evaluate/topic_matching.json", 1);
        return t.Matching;
    }

    private static int Feature(FeatureRef reference, string key, int dSae, double[] density,
        IReadOnlyDictionary<string, (int? Auto, int[] Matching)>? topics, int[]? nonTopic, ulong seed)
    {
        if (reference.Index is { } index)
            return index < dSae ? index : throw new RunnerException($"{key}: feature {index} does not exist (the SAE has {dSae} features)", 2);
        if (reference.Topic is { } topic)
        {
            Matching(topic, key, topics);
            return topics![topic].Auto!.Value;
        }
        // A control: a live feature, one that matches no topic when the data has topics (as the proof of concept).
        var live = nonTopic is { Length: > 0 } ? nonTopic : Enumerable.Range(0, dSae).Where(i => density[i] > 0).ToArray();
        if (live.Length == 0) throw new RunnerException($"{key}: random needs a live feature, but every feature is dead in evaluation", 1);
        return live[(int)(seed % (ulong)live.Length)];
    }

    private static string Num(double v) => v.ToString("G4", CultureInfo.InvariantCulture);

    private static void Write(string path, string text)
    {
        File.WriteAllText(path + ".tmp", text);
        File.Move(path + ".tmp", path, overwrite: true);
    }
}

/// <summary>Derives independent seeds from one: the first SplitMix64 output of the stream's own starting state.</summary>
internal static class Seeds
{
    public static ulong Mix(ulong seed, ulong stream) => new SplitMix64(seed + 0x9E3779B97F4A7C15UL * stream).NextUInt64();
}
