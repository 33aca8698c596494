using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core.Data.Planted;
using Runner.Core.Models;
using Runner.Core.Training;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// pretrain (toy model only): generates the planted-topics corpus from the spec's seed (model.toy.tokens
/// tokens; a held-out stream from seed + 1000, as the proof of concept), trains a GPT-2-style LM on it
/// (<see cref="LanguageModelTrainer"/>) and writes a Hugging Face model folder <c>model/</c>: config.json
/// and model.safetensors (float32) plus the corpus's word-level tokenizer (<see cref="PlantedTokenizerFiles"/>),
/// so every later stage loads it as it loads any checkpoint. Also writes the loss curve <c>curves.json</c>.
/// </summary>
public sealed class PretrainStage : IStage
{
    /// <summary>Held-out tokens the n-gram baselines are scored on (the proof of concept's eval stream: 2^17 plus two windows).</summary>
    private const int BaselineEvalTokens = 131_072;

    /// <summary>Offset from the spec's seed to the held-out stream's seed (the proof of concept's).</summary>
    private const int EvalSeedOffset = 1000;

    /// <inheritdoc/>
    public string Name => "pretrain";

    /// <inheritdoc/>
    public int Version => 1;

    /// <inheritdoc/>
    public IReadOnlyList<string> Inputs => [];

    /// <inheritdoc/>
    public IReadOnlyList<string> ExcludedFields => [];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> RunLinks { get; } = new Dictionary<string, string> { ["model"] = "model" };

    /// <inheritdoc/>
    /// <remarks>Synthetic data needs no model, whatever model.source says (it defaults to toy).</remarks>
    public bool AppliesTo(ResolvedPoint point) => point.Spec.Model.Source == ModelSource.Toy && point.Spec.Data.Synthetic is null;

    /// <inheritdoc/>
    public JsonNode? SpecSlice(ResolvedPoint point)
    {
        var slice = SpecSlices.Take(point.Json, "seed", "model.toy");
        slice["device_class"] = StageDevice.Class(point.Spec.Device);
        return slice;
    }

    /// <inheritdoc/>
    public Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken) =>
        Task.Run(() => Run(context, cancellationToken), cancellationToken);

    /// <summary>The GPT-2 config of a toy model over a <paramref name="vocabSize"/>-word vocabulary whose document separator is <paramref name="bosId"/>:
    /// exact GELU and an untied unembedding, as the proof of concept's LM; no EOS, so generation runs through documents.</summary>
    public static ModelConfig ModelConfigFor(ToyModelSpec toy, int vocabSize, int bosId) =>
        ModelConfig.Create("gpt2", vocabSize, toy.DModel, toy.Layers, toy.Heads, toy.Context, dMlp: toy.DMlp) with
        {
            Activation = "gelu",
            TieWordEmbeddings = false,
            BosTokenId = bosId,
            EosTokenId = null,
        };

    private static StageResult Run(StageContext context, CancellationToken ct)
    {
        var spec = context.Point.Spec;
        var toy = spec.Model.Toy ?? new ToyModelSpec();
        if (toy.Corpus != DataCorpus.PlantedTopics)
            throw new Core.RunnerException($"model.toy.corpus: {toy.Corpus} is not supported by the pretrain stage (supported: planted-topics)");
        if (toy.Tokens > Array.MaxLength)
            throw new Core.RunnerException($"model.toy.tokens: must be at most {Array.MaxLength} (one in-memory stream), got {toy.Tokens}", 2);
        var device = StageDevice.Resolve(spec.Device);

        context.Report(0, toy.Steps, "steps", "generating the corpus");
        var vocabulary = PlantedVocabulary.Create();
        var (train, _) = new PlantedCorpus(vocabulary, new PlantedCorpusOptions { Seed = (ulong)spec.Seed }).Generate(toy.Tokens);
        var (eval, _) = new PlantedCorpus(vocabulary, new PlantedCorpusOptions { Seed = unchecked((ulong)(spec.Seed + EvalSeedOffset)) })
            .Generate(BaselineEvalTokens + 2L * toy.Context);
        ct.ThrowIfCancellationRequested();
        var (unigram, bigram) = NGramBaselines.Losses(train, eval, vocabulary.Count);

        var config = ModelConfigFor(toy, vocabulary.Count, vocabulary.DocId);
        config.Validate("model.toy");
        using var model = TransformerModel.CreateRandom(config, (ulong)spec.Seed, device, DType.Float32);
        var options = new LanguageModelTrainerOptions
        {
            Steps = toy.Steps,
            BatchSize = toy.BatchSize,
            Context = toy.Context,
            Lr = toy.Lr,
            WeightDecay = toy.WeightDecay,
            WarmupSteps = toy.WarmupSteps,
            Seed = (ulong)spec.Seed,
        };
        var result = LanguageModelTrainer.Train(model, train, eval, options, new Progress(context), ct);

        var folder = Path.Combine(context.OutputDirectory, "model");
        model.Save(folder);
        PlantedTokenizerFiles.Write(folder, vocabulary);
        File.WriteAllText(Path.Combine(context.OutputDirectory, "curves.json"), JsonSerializer.Serialize(result.Curve, Hashing.CanonicalJson.SerializerOptions));

        long parameters = 0;
        foreach (var (_, p) in model.Parameters) parameters += p.NumberOfElements;
        return new StageResult
        {
            Metrics = new Dictionary<string, double>
            {
                ["train_loss"] = result.TrainLoss,
                ["eval_loss"] = result.EvalLoss,
                ["unigram_loss"] = unigram,
                ["bigram_loss"] = bigram,
                ["tokens_per_second"] = Math.Round(result.TokensPerSecond),
                ["seconds"] = Math.Round(result.Seconds, 2),
                ["steps"] = result.Steps,
                ["tokens"] = result.Tokens,
                ["corpus_tokens"] = train.Length,
                ["parameters"] = parameters,
                ["vocab_size"] = vocabulary.Count,
            },
            Notes = [string.Create(CultureInfo.InvariantCulture,
                $"eval loss {result.EvalLoss:F3} (bigram {bigram:F3}, unigram {unigram:F3}) after {result.Steps} steps in {result.Seconds:F1} s")],
        };
    }

    private sealed class Progress(StageContext context) : IProgress<LanguageModelPoint>
    {
        public void Report(LanguageModelPoint p) => context.Report(p.Step, p.TotalSteps, "steps",
            string.Create(CultureInfo.InvariantCulture, $"loss {p.Loss:F3}, lr {p.Lr:G3}"));
    }
}
