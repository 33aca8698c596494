using System.Text.Json.Nodes;
using Runner.Pipeline;

namespace Runner.Cli.Tests;

/// <summary>An hf model end to end: capture, train, evaluate with splicing, steer; and the generate and tokenize commands.</summary>
public sealed class HfModelCommandsTests : IDisposable
{
    private const string Spec = """
        name: tiny-hf
        seed: 5
        device: cpu
        model: { source: hf, path: ./model }
        data: { files: [docs/*.txt], tokens: 3_000, context: 16 }
        hook: { layer: 1, site: resid_post }
        sae: { architecture: relu, dict_size: 64, lr: 3e-3, batch_size: 256, tokens: 6_000 }
        evaluate: { tokens: 512, top_features: 4, top_examples: 3, example_window: 2 }
        steer:
          prompts: ["the bridge"]
          clamps: [ { feature: 3, multiple_of_max: 4 }, { feature: random, scale: 0 } ]
          generate: { tokens: 6, samples: 3 }
        """;

    private readonly CliHarness _cli = new() { Stages = StageCatalog.Create };

    public HfModelCommandsTests()
    {
        TinyHfCheckpoint.Write(Path.Combine(_cli.Directory, "model"));
        TinyHfCheckpoint.WriteDocuments(Path.Combine(_cli.Directory, "docs"), 40);
        _cli.Write("tiny.yaml", Spec);
    }

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void A_run_on_an_hf_checkpoint_captures_trains_evaluates_with_splicing_and_steers()
    {
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        var run = Path.Combine(_cli.Directory, "runs", "tiny-hf", "tiny-hf");
        var metrics = MetricsJson.Read(Path.Combine(run, "metrics.json"));
        MetricsJson.AssertEveryMetricHasOneDefinition(run);   // hf capture, CE/KL splicing, steering without topics
        Assert.Equal(3000, (double)metrics["capture.rows"]!);
        var clean = (double)metrics["evaluate.ce_loss_clean"]!;
        var zero = (double)metrics["evaluate.ce_loss_zero_ablated"]!;
        Assert.InRange(clean, 4.0, 7.0); // a random model over 262 tokens: about ln 262 = 5.57
        Assert.True(double.IsFinite((double)metrics["evaluate.ce_loss_recovered"]!));
        Assert.True((double)metrics["evaluate.kl_spliced"]! >= 0);
        Assert.NotEqual(clean, zero);

        var top = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "stages", "evaluate", "top_examples.json")))!;
        var features = top["features"]!.AsArray();
        Assert.InRange(features.Count, 1, 4);
        foreach (var example in features[0]!["examples"]!.AsArray())
            Assert.NotEqual(256, (int)example!["token_id"]!); // special tokens never count as examples

        var lines = File.ReadAllLines(Path.Combine(run, "stages", "steer", "completions.jsonl"));
        Assert.Equal(3 * 3, lines.Length); // baseline + 2 clamps, 1 prompt, 3 samples
        var settings = lines.Select(l => (string)JsonNode.Parse(l)!["setting"]!).Distinct().ToArray();
        Assert.Equal("baseline", settings[0]);
        Assert.Equal("f3_x4", settings[1]);
        Assert.Equal("random_scale0", settings[2]);
    }

    [Fact]
    public void Generate_with_json_reports_ids_text_and_log_probabilities_and_greedy_is_repeatable()
    {
        Assert.Equal(0, _cli.Run("generate", "--model", "model", "--prompt", "the bridge", "--max-tokens", "5", "--greedy", "--json"));
        var first = JsonNode.Parse(_cli.Out)!;
        Assert.Equal(5, first["ids"]!.AsArray().Count);
        Assert.All(first["logprobs"]!.AsArray(), v => Assert.True((double)v! <= 0));
        Assert.Equal(256, (int)first["prompt_ids"]![0]!); // BOS first, as the SAE's contexts had
        Assert.Equal(0, _cli.Run("generate", "--model", "model", "--prompt", "the bridge", "--max-tokens", "5", "--greedy", "--json"));
        Assert.Equal(first["ids"]!.ToJsonString(), JsonNode.Parse(_cli.Out)!["ids"]!.ToJsonString());
    }

    [Fact]
    public void Generate_with_a_clamp_uses_the_runs_SAE_and_a_huge_clamp_changes_the_greedy_completion()
    {
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        string[] common = ["generate", "--model", "tiny.yaml", "--prompt", "the bridge", "--max-tokens", "8", "--greedy", "--json"];
        Assert.Equal(0, _cli.Run(common));
        var plain = JsonNode.Parse(_cli.Out)!["ids"]!.ToJsonString();
        Assert.Equal(0, _cli.Run([.. common, "--clamp", "3=*1"]));
        Assert.Equal(plain, JsonNode.Parse(_cli.Out)!["ids"]!.ToJsonString()); // scale 1 changes nothing
        Assert.Equal(0, _cli.Run([.. common, "--clamp", "3=+200"]));
        Assert.NotEqual(plain, JsonNode.Parse(_cli.Out)!["ids"]!.ToJsonString());
        var run = Path.Combine(_cli.Directory, "runs", "tiny-hf", "tiny-hf");
        Assert.Equal(0, _cli.Run("generate", "--model", "model", "--sae", run, "--prompt", "the", "--clamp", "3=2x", "--max-tokens", "3", "--json"));
        Assert.Equal("value", (string)JsonNode.Parse(_cli.Out)!["clamps"]![0]!["mode"]!);
    }

    [Fact]
    public void The_planted_topics_corpus_feeds_an_hf_model_through_its_own_tokenizer()
    {
        _cli.Write("planted.yaml", """
            name: tiny-planted
            seed: 1
            device: cpu
            model: { source: hf, path: ./model }
            data: { corpus: planted-topics, tokens: 2_000, context: 32 }
            hook: { layer: 0, site: mlp_hidden }
            sae: { architecture: topk, dict_size: 256, k: 8, batch_size: 256, tokens: 2_000 }
            evaluate: { tokens: 256, ce_loss: false, top_features: 2 }
            """);
        Assert.Equal(0, _cli.Run("run", "planted.yaml"));
        var run = Path.Combine(_cli.Directory, "runs", "tiny-planted", "tiny-planted");
        var metrics = MetricsJson.Read(Path.Combine(run, "metrics.json"));
        Assert.Equal(128, (double)metrics["capture.d_in"]!); // mlp_hidden of a d_model 32 GPT-2: 4 x 32
        Assert.False(metrics.ContainsKey("evaluate.ce_loss_clean"));
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "sae", "cfg.json")))!;
        Assert.Equal("blocks.0.mlp.hook_post", (string)cfg["metadata"]!["hook_name"]!);
    }

    [Fact]
    public void Tokenize_prints_ids_and_pieces()
    {
        Assert.Equal(0, _cli.Run("tokenize", "--model", "model", "the the bridge", "--json"));
        var doc = JsonNode.Parse(_cli.Out)!;
        Assert.Equal("the the bridge", (string)doc["text"]!);
        Assert.Equal(["t", "he", "Ġthe", "Ġ", "b"], doc["pieces"]!.AsArray().Take(5).Select(p => (string)p!));
        Assert.Contains("Ġthe", doc["pieces"]!.AsArray().Select(p => (string)p!));
    }

    [Fact]
    public void Clamps_and_model_paths_that_do_not_exist_are_usage_errors_that_say_what_is_wrong()
    {
        Assert.Equal(2, _cli.Run("generate", "--model", "nowhere/model", "--prompt", "x"));
        Assert.Contains("nowhere", _cli.Error);
        Assert.Equal(2, _cli.Run("generate", "--model", "model", "--prompt", "x", "--clamp", "3=banana"));
        Assert.Contains("3=banana", _cli.Error);
        Assert.Equal(2, _cli.Run("generate", "--model", "model", "--prompt", "x", "--clamp", "3=2"));
        Assert.Contains("--sae", _cli.Error);
        Assert.Equal(2, _cli.Run("run", "tiny.yaml", "--set", "hook.layer=5"));
        Assert.Contains("hook.layer", _cli.Error);
    }
}
