using System.CommandLine;
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
using Runner.Pipeline.Caching;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Cli.Commands;

/// <summary><c>runner tokenize</c> and <c>runner generate</c>: a Hugging Face model folder (or spec) used directly.</summary>
public static class ModelCommands
{
    /// <summary><c>runner tokenize --model DIR TEXT [--json]</c>: ids and pieces.</summary>
    public static Command Tokenize(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "A checkpoint folder, a model id in the local HF cache, or a spec.", Required = true };
        var text = new Argument<string>("TEXT") { Description = "The text to tokenize." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object: ids, pieces, decoded text." };
        var command = new Command("tokenize", "Tokenize TEXT with a model's tokenizer; print ids and pieces.") { model, text, json };
        command.SetAction(r =>
        {
            var target = ModelTarget.Resolve(context, r.GetValue(model)!, null);
            var tokenizer = TokenizerLoader.Load(target.Model.Directory);
            var ids = tokenizer.Encode(r.GetValue(text)!);
            if (r.GetValue(json))
            {
                context.Out.WriteLine(new JsonObject
                {
                    ["ids"] = new JsonArray([.. ids.Select(i => (JsonNode)i)]),
                    ["pieces"] = new JsonArray([.. ids.Select(i => (JsonNode)tokenizer.Piece(i))]),
                    ["text"] = tokenizer.Decode(ids),
                    ["bos"] = tokenizer.BosId, ["eos"] = tokenizer.EosId,
                }.ToJsonString());
                return ExitCodes.Ok;
            }
            context.Out.WriteLine($"{ids.Length} tokens");
            // Quoted so whitespace is visible; < > & ' stay readable (the default encoder escapes them for HTML).
            var readable = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            foreach (var id in ids) context.Out.WriteLine($"{id,8}  {JsonSerializer.Serialize(tokenizer.Piece(id), readable)}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary><c>runner generate --model SPEC_OR_DIR --prompt TEXT [--max-tokens N] [--greedy] [--clamp F=V]... [--json]</c>.</summary>
    public static Command Generate(CliContext context)
    {
        var model = new Option<string>("--model") { Description = "A checkpoint folder, a model id in the local HF cache, or an experiment spec (its SAE comes from its cached train/evaluate stages).", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The prompt.", Required = true };
        var maxTokens = new Option<int>("--max-tokens") { Description = "New tokens to generate.", DefaultValueFactory = _ => 30 };
        var greedy = new Option<bool>("--greedy") { Description = "Take the most likely token at every step." };
        var temperature = new Option<double>("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => 1.0 };
        var topK = new Option<int?>("--top-k") { Description = "Sample among the k most likely tokens." };
        var topP = new Option<double?>("--top-p") { Description = "Nucleus sampling mass in (0, 1]." };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 0 };
        var samples = new Option<int>("--samples") { Description = "Completions (generated as one batch).", DefaultValueFactory = _ => 1 };
        var clamp = new Option<string[]>("--clamp")
        {
            Description = "Clamp a feature, error term preserved (repeatable): F=V sets it to V, F=Nx to N times its max activation in evaluation, F=*S scales it, F=+A adds A times its decoder row.",
        };
        var sae = new Option<string?>("--sae") { Description = "With a model folder: a run folder (runs/<experiment>/<run>) or an SAELens folder whose SAE the clamps act through." };
        var dtype = new Option<string>("--dtype") { Description = "float32 or bfloat16.", DefaultValueFactory = _ => "float32" };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };
        var set = SpecOptions.Set();
        var json = new Option<bool>("--json") { Description = "Print one JSON object: prompt and generated token ids, text, per-token log-probabilities." };
        var command = new Command("generate", "Generate text from a model, optionally with SAE feature clamps.")
        {
            model, prompt, maxTokens, greedy, temperature, topK, topP, seed, samples, clamp, sae, dtype, device, set, json,
        };
        command.SetAction(r =>
        {
            var clamps = (r.GetValue(clamp) ?? []).Select(ClampArgument.Parse).ToList();
            var target = ModelTarget.Resolve(context, r.GetValue(model)!, r.GetValue(set));
            var dev = DeviceAvailability.Require(Parse(() => Device.Parse(r.GetValue(device)!)));
            var precision = Parse(() => DTypes.Parse(r.GetValue(dtype)!));
            if (precision is not (DType.Float32 or DType.BFloat16)) throw new RunnerException($"--dtype must be float32 or bfloat16, got {precision.Name()}", ExitCodes.Usage);
            var sampling = new SamplingOptions { Greedy = r.GetValue(greedy), Temperature = r.GetValue(temperature), TopK = r.GetValue(topK), TopP = r.GetValue(topP) };
            if (sampling.Temperature <= 0) throw new RunnerException($"--temperature must be > 0, got {sampling.Temperature}", ExitCodes.Usage);
            if (sampling.TopP is { } p && (p <= 0 || p > 1)) throw new RunnerException($"--top-p must be in (0, 1], got {p}", ExitCodes.Usage);
            if (sampling.TopK is { } k && k < 1) throw new RunnerException($"--top-k must be >= 1, got {k}", ExitCodes.Usage);
            var n = r.GetValue(samples);
            if (n < 1) throw new RunnerException($"--samples must be >= 1, got {n}", ExitCodes.Usage);
            if (r.GetValue(maxTokens) < 1) throw new RunnerException($"--max-tokens must be >= 1, got {r.GetValue(maxTokens)}", ExitCodes.Usage);

            var tokenizer = TokenizerLoader.Load(target.Model.Directory);
            using var lm = TransformerModel.Load(target.Model.Directory, dev, precision);
            var promptIds = target.Bos && (tokenizer.BosId ?? tokenizer.EosId ?? lm.Config.BosTokenId) is { } bos
                ? [bos, .. tokenizer.Encode(r.GetValue(prompt)!)]
                : tokenizer.Encode(r.GetValue(prompt)!);

            IReadOnlyDictionary<HookPoint, ActivationHook>? hooks = null;
            ISparseAutoencoder? saeModel = null;
            var resolvedClamps = new List<FeatureClamp>();
            try
            {
                if (clamps.Count > 0)
                {
                    var saeSource = target.Sae(r.GetValue(sae), context.WorkingDirectory)
                        ?? throw new RunnerException("--clamp needs an SAE: pass --sae RUN_DIR (or an SAELens folder), or --model SPEC after `runner run SPEC`", ExitCodes.Usage);
                    using var saved = SaeLensFolder.Load(saeSource.SaeFolder);
                    saeModel = SaeFactory.FromSaeLens(saved.Config.Architecture, saved.Config.K, saved.Weights, dev);
                    var point = target.Point ?? HookPoint.ParseTransformerLens(saved.Config.Metadata.HookName)
                        ?? throw new RunnerException($"{saeSource.SaeFolder}: cfg.json's hook_name '{saved.Config.Metadata.HookName}' is not a hook point Runner knows (blocks.L.hook_resid_post, ...)", ExitCodes.Usage);
                    if (point.Layer >= lm.Config.Layers) throw new RunnerException($"the SAE's hook {point} is past the model's {lm.Config.Layers} layers", ExitCodes.Usage);
                    var max = saeSource.FeatureStats is { } stats ? MaxActivation(stats) : null;
                    foreach (var c in clamps) resolvedClamps.Add(c.Resolve(saved.Config.DSae, max, saeSource.FeatureStats));
                    hooks = new Dictionary<HookPoint, ActivationHook> { [point] = SaeHooks.Clamp(saeModel, resolvedClamps) };
                }
                var result = TextGenerator.Generate(lm, promptIds, n, r.GetValue(maxTokens), new TokenSampler(sampling, r.GetValue(seed)), hooks, tokenizer.EosId);
                Print(context, r.GetValue(json), r.GetValue(prompt)!, promptIds, result, tokenizer, resolvedClamps, target.Model);
            }
            finally
            {
                saeModel?.Dispose();
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(CliContext context, bool json, string prompt, int[] promptIds, GenerationResult result, ITokenizer tokenizer,
        List<FeatureClamp> clamps, ResolvedModel model)
    {
        if (json)
        {
            var completions = new JsonArray();
            for (var s = 0; s < result.Tokens.Length; s++)
                completions.Add(new JsonObject
                {
                    ["ids"] = new JsonArray([.. result.Tokens[s].Select(i => (JsonNode)i)]),
                    ["text"] = tokenizer.Decode(result.Tokens[s], skipSpecial: true),
                    ["full_text"] = tokenizer.Decode([.. promptIds, .. result.Tokens[s]], skipSpecial: true),
                    ["tokens"] = new JsonArray([.. result.Tokens[s].Select(i => (JsonNode)tokenizer.Decode([i]))]),
                    ["logprobs"] = new JsonArray([.. result.LogProbs[s].Select(v => (JsonNode)v)]),
                });
            var doc = new JsonObject
            {
                ["model"] = model.Id ?? model.Directory,
                ["revision"] = model.Revision,
                ["prompt"] = prompt,
                ["prompt_ids"] = new JsonArray([.. promptIds.Select(i => (JsonNode)i)]),
                ["clamps"] = new JsonArray([.. clamps.Select(c => (JsonNode)new JsonObject { ["feature"] = c.Feature, ["mode"] = c.Mode.ToString().ToLowerInvariant(), ["amount"] = c.Amount })]),
                ["completions"] = completions,
            };
            // One completion: its fields at the top level too, so `jq .text` works.
            if (result.Tokens.Length == 1) foreach (var key in new[] { "ids", "text", "full_text", "tokens", "logprobs" }) doc[key] = completions[0]![key]!.DeepClone();
            context.Out.WriteLine(doc.ToJsonString());
            return;
        }
        for (var s = 0; s < result.Tokens.Length; s++)
        {
            var lp = result.LogProbs[s];
            var mean = lp.Length == 0 ? 0 : lp.Average(v => (double)v);
            if (result.Tokens.Length > 1) context.Out.WriteLine($"--- sample {s}");
            context.Out.WriteLine(tokenizer.Decode([.. promptIds, .. result.Tokens[s]], skipSpecial: true));
            context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"({lp.Length} tokens, mean log-prob {mean:F3})"));
        }
    }

    private static double[] MaxActivation(string featureStats)
    {
        using var scope = TensorScope.Enter();
        using var file = SafetensorsFile.Open(featureStats);
        return file.Read("max_activation", DType.Float64).ToArray<double>();
    }

    private static T Parse<T>(Func<T> parse)
    {
        try { return parse(); }
        catch (Exception e) when (e is FormatException or ArgumentException) { throw new RunnerException(e.Message, ExitCodes.Usage); }
    }
}

/// <summary>One <c>--clamp F=V</c> argument.</summary>
internal sealed record ClampArgument(int Feature, string? Topic, string Kind, double Amount, string Text)
{
    public static ClampArgument Parse(string text)
    {
        var eq = text.IndexOf('=');
        var feature = -1;
        string? topic = eq > 5 && text.StartsWith("auto:", StringComparison.Ordinal) ? text[5..eq] : null;
        if (eq <= 0 || (topic is null && !int.TryParse(text.AsSpan(0, eq), NumberStyles.None, CultureInfo.InvariantCulture, out feature)))
            throw new RunnerException($"--clamp '{text}': expected FEATURE=VALUE with FEATURE an index or auto:TOPIC (e.g. 1234=5, 1234=10x, auto:bridge=2x, 1234=*2, 1234=+4)", ExitCodes.Usage);
        var v = text[(eq + 1)..].Trim();
        var (kind, number) = v switch
        {
            _ when v.EndsWith('x') => ("multiple_of_max", v[..^1]),
            _ when v.StartsWith('*') => ("scale", v[1..]),
            _ when v.StartsWith('+') => ("add", v[1..]),
            _ => ("value", v),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) || !double.IsFinite(amount))
            throw new RunnerException($"--clamp '{text}': '{v}' is not a number, Nx, *S or +A", ExitCodes.Usage);
        return new ClampArgument(feature, topic, kind, amount, text);
    }

    public FeatureClamp Resolve(int dSae, double[]? maxActivation, string? statsPath)
    {
        var feature = Feature;
        if (Topic is { } topic)
        {
            var file = statsPath is null ? null : Path.Combine(Path.GetDirectoryName(statsPath)!, "topic_matching.json");
            if (file is null || !File.Exists(file))
                throw new RunnerException($"--clamp '{Text}': auto:{topic} needs the evaluation's topic matching (a run of the toy model on the planted-topics corpus)", ExitCodes.Usage);
            var matching = JsonNode.Parse(File.ReadAllText(file))!["topics"]?[topic]
                ?? throw new RunnerException($"--clamp '{Text}': no topic '{topic}' in {file}", ExitCodes.Usage);
            feature = (int?)matching["auto"]?["feature"]
                ?? throw new RunnerException($"--clamp '{Text}': no feature matches topic '{topic}' with the evaluation's precision threshold ({file})", ExitCodes.Usage);
        }
        return (this with { Feature = feature }).ResolveIndex(dSae, maxActivation);
    }

    private FeatureClamp ResolveIndex(int dSae, double[]? maxActivation)
    {
        if (Feature >= dSae) throw new RunnerException($"--clamp '{Text}': feature {Feature} does not exist (the SAE has {dSae} features)", ExitCodes.Usage);
        return Kind switch
        {
            "multiple_of_max" => new FeatureClamp(Feature, ClampMode.Value, Amount * (maxActivation ?? throw new RunnerException(
                $"--clamp '{Text}': a multiple of max needs the evaluation's feature statistics: pass a run folder (or a spec) instead of a bare SAELens folder", ExitCodes.Usage))[Feature]),
            "scale" => new FeatureClamp(Feature, ClampMode.Scale, Amount),
            "add" => new FeatureClamp(Feature, ClampMode.Add, Amount),
            _ => new FeatureClamp(Feature, ClampMode.Value, Amount),
        };
    }
}

/// <summary>What <c>--model</c> named: a checkpoint folder or HF id, or a spec (its model, hook, data.bos and cached SAE).</summary>
internal sealed record ModelTarget(ResolvedModel Model, bool Bos, HookPoint? Point, Func<string?>? SpecRunSae, string? SpecStats)
{
    /// <summary>Where an SAE and its evaluation statistics are.</summary>
    internal sealed record SaeSource(string SaeFolder, string? FeatureStats);

    public static ModelTarget Resolve(CliContext context, string argument, string[]? overrides)
    {
        var full = Path.GetFullPath(argument, context.WorkingDirectory);
        if (File.Exists(full) && (full.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || full.EndsWith(".yml", StringComparison.OrdinalIgnoreCase)))
        {
            var experiment = SpecLoader.Load(full, SpecOptions.LoadOptions(context, overrides, null));
            var point = experiment.Points[0];
            var spec = point.Spec;
            ResolvedModel? resolved = spec.Model.Source == ModelSource.Hf
                ? HfModelLocator.Resolve(spec.Model.Path, spec.Model.Id, spec.Model.Revision, context.GetEnvironment)
                : null;
            string? saeFolder = null, stats = null;
            var cache = new StageCache(CacheOptions.Create(spec.Cache.Dir, context.WorkingDirectory, context.GetEnvironment));
            var options = new PipelineOptions { RunsDirectory = RunFolder.ResolveRoot(null, context.WorkingDirectory), EnvironmentFingerprint = context.EnvironmentFingerprint() };
            var plan = new PipelineExecutor(new StageGraph(context.Stages()), cache, options).Plan([point]);
            foreach (var s in plan.Points[0].Stages.Where(s => s.Cached))
            {
                if (s.Stage == "train") saeFolder = Path.Combine(cache.EntryDirectory(s.Stage, s.Key), "sae");
                if (s.Stage == "evaluate") stats = Path.Combine(cache.EntryDirectory(s.Stage, s.Key), "feature_stats.safetensors");
                if (s.Stage == "pretrain") resolved = new ResolvedModel(Path.Combine(cache.EntryDirectory(s.Stage, s.Key), Runner.Pipeline.Builtin.LanguageModels.ToyModelFolder), "toy", null, "pretrain");
            }
            if (resolved is null)
                throw new RunnerException($"{argument}: the toy model is not in the cache: run `runner run {argument}` first (with the same --set overrides)", ExitCodes.Usage);
            var hook = Runner.Pipeline.Builtin.LanguageModels.Point(spec.Hook);
            return new ModelTarget(resolved, spec.Data.Bos, hook, () => saeFolder, stats);
        }
        var isPath = Directory.Exists(full) || argument.StartsWith('.') || argument.StartsWith('/') || argument.StartsWith('~');
        var model = isPath
            ? HfModelLocator.Resolve(full, null, null, context.GetEnvironment)
            : HfModelLocator.Resolve(null, argument, null, context.GetEnvironment);
        return new ModelTarget(model, true, null, null, null);
    }

    /// <summary>The SAE for clamps: --sae (run folder or SAELens folder), else the spec's cached train stage.</summary>
    public SaeSource? Sae(string? option, string workingDirectory)
    {
        if (option is not null)
        {
            var dir = Path.GetFullPath(option, workingDirectory);
            var inRun = Path.Combine(dir, RunFolder.StagesFolder, "train", "sae");
            if (Directory.Exists(inRun))
            {
                var stats = Path.Combine(dir, RunFolder.StagesFolder, "evaluate", "feature_stats.safetensors");
                return new SaeSource(inRun, File.Exists(stats) ? stats : null);
            }
            if (File.Exists(Path.Combine(dir, SaeLensFolder.ConfigFile))) return new SaeSource(dir, null);
            throw new RunnerException($"--sae {option}: neither a run folder (no {Path.Combine(RunFolder.StagesFolder, "train", "sae")}) nor an SAELens folder (no {SaeLensFolder.ConfigFile})", ExitCodes.Usage);
        }
        if (SpecRunSae?.Invoke() is { } folder) return new SaeSource(folder, SpecStats);
        if (SpecRunSae is not null)
            throw new RunnerException("the spec's train stage is not in the cache: run `runner run SPEC` first (with the same --set overrides)", ExitCodes.Usage);
        return null;
    }
}
