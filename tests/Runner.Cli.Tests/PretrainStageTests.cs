using System.Text.Json.Nodes;
using Runner.Core.Data.Planted;
using Runner.Core.Models;
using Runner.Core.Tokenizers;
using Runner.Core.Training;
using Runner.Pipeline.Builtin;
using Runner.Torch;

namespace Runner.Cli.Tests;

/// <summary>The pretrain stage through <c>runner run</c> (only that stage registered, so the test does not
/// depend on how the later stages use a toy model): a Hugging Face folder that loads, metrics, the cache.</summary>
public sealed class PretrainStageTests : IDisposable
{
    private const string Spec = """
        name: tiny-toy
        seed: 2
        device: cpu
        model:
          source: toy
          toy: { layers: 1, d_model: 16, heads: 2, d_mlp: 32, context: 16, tokens: 30_000, steps: 60, batch_size: 8, lr: 1e-2, warmup_steps: 5 }
        data: { context: 16 }
        """;

    private readonly CliHarness _cli = new() { Stages = () => [new PretrainStage()] };

    public PretrainStageTests() => _cli.Write("toy.yaml", Spec);

    public void Dispose() => _cli.Dispose();

    private string Run => Path.Combine(_cli.Directory, "runs", "tiny-toy", "tiny-toy");

    [Fact]
    public void Pretrain_writes_a_model_folder_that_loads_with_its_word_level_tokenizer()
    {
        Assert.Equal(0, _cli.Run("run", "toy.yaml"));
        var folder = Path.Combine(Run, "model");
        var vocabulary = PlantedVocabulary.Create();

        using var model = TransformerModel.Load(folder, Device.Cpu, DType.Float32);
        Assert.Equal(ModelConfig.Create("gpt2", vocabulary.Count, 16, 1, 2, 16, dMlp: 32) with
        {
            Activation = "gelu", TieWordEmbeddings = false, BosTokenId = vocabulary.DocId, EosTokenId = null,
        }, model.Config);
        var tokenizer = TokenizerLoader.Load(folder);
        Assert.Equal(vocabulary.Count, tokenizer.VocabSize);
        Assert.Equal(vocabulary.DocId, tokenizer.BosId);
        Assert.Null(tokenizer.EosId);
        Assert.Equal(vocabulary.Encode("<doc> the golden gate bridge ."), tokenizer.Encode("<doc> the golden gate bridge ."));
        Assert.True(File.Exists(Path.Combine(folder, PlantedTokenizerFiles.VocabFileName)));

        var metrics = MetricsJson.Read(Path.Combine(Run, "metrics.json"));
        double Metric(string name) => (double)metrics["pretrain." + name]!;
        Assert.True(Metric("eval_loss") < Math.Log(vocabulary.Count) - 1, $"eval loss {Metric("eval_loss")}");
        Assert.True(Metric("bigram_loss") < Metric("unigram_loss"));
        Assert.InRange(Metric("unigram_loss"), 4.5, 5.5);   // the PoC's 4.94 on 2M tokens
        Assert.Equal(60 * 8 * 16, Metric("tokens"));
        Assert.True(Metric("tokens_per_second") > 0);

        // The saved weights are the trained ones: their eval loss on the held-out stream (seed + 1000) is the reported one.
        var (eval, _) = new PlantedCorpus(vocabulary, new PlantedCorpusOptions { Seed = 1002 }).Generate(256 * 17);
        Assert.Equal(Metric("eval_loss"), LanguageModelTrainer.EvalLoss(model, eval, 16), 5);
        Assert.Equal(60, JsonNode.Parse(File.ReadAllText(Path.Combine(Run, "stages", "pretrain", "curves.json")))!.AsArray()[^1]!["step"]!.GetValue<int>());
    }

    [Fact]
    public void A_second_run_is_cached_and_only_the_toy_section_seed_and_device_class_change_the_key()
    {
        Assert.Equal(0, _cli.Run("run", "toy.yaml"));
        Assert.Equal(0, _cli.Run("run", "toy.yaml"));
        Assert.Contains("pretrain: cached", _cli.Error);
        Assert.Equal(0, _cli.Run("run", "toy.yaml", "--set", "sae.k=3", "--set", "data.tokens=5000", "--dry-run"));
        Assert.Matches(@"pretrain\s+\w{12}\s+cached", _cli.Out);
        Assert.Equal(0, _cli.Run("run", "toy.yaml", "--set", "model.toy.steps=61", "--dry-run"));
        Assert.Matches(@"pretrain\s+\w{12}\s+compute", _cli.Out);
        Assert.Equal(0, _cli.Run("run", "toy.yaml", "--set", "seed=3", "--dry-run"));
        Assert.Matches(@"pretrain\s+\w{12}\s+compute", _cli.Out);
    }

    [Fact]
    public void A_synthetic_experiment_does_not_pretrain_although_model_source_defaults_to_toy()
    {
        using var cli = new CliHarness { Stages = Runner.Pipeline.StageCatalog.Create };
        cli.Write("synthetic.yaml", """
            name: synthetic
            data: { synthetic: { features: 8, d_in: 4 }, tokens: 1000 }
            """);
        Assert.Equal(0, cli.Run("run", "synthetic.yaml", "--dry-run"));
        Assert.Matches(@"capture\s+\w{12}\s+compute", cli.Out);
        Assert.DoesNotContain("pretrain", cli.Out);
        cli.Write("toy.yaml", Spec);
        Assert.Equal(0, cli.Run("run", "toy.yaml", "--dry-run"));
        Assert.Matches(@"pretrain\s+\w{12}\s+compute", cli.Out);
    }
}
