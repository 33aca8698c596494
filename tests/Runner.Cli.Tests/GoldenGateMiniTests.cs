using System.Text.Json.Nodes;
using Runner.Pipeline;

namespace Runner.Cli.Tests;

/// <summary>
/// The committed embedded default, experiments/golden-gate-mini.yaml, reduced (a shorter pretraining, fewer
/// tokens and samples, topic precision 0.8 for the weaker model) so that every stage runs in about 20 s: the
/// direction of every effect the full experiment shows must already be there.
/// </summary>
public sealed class GoldenGateMiniTests : IDisposable
{
    private static readonly string[] Reduced =
    [
        "--set", "model.toy.steps=600", "--set", "model.toy.tokens=400_000", "--set", "data.tokens=131_072",
        "--set", "sae.tokens=524_288", "--set", "sae.batch_size=512", "--set", "evaluate.tokens=32_768",
        "--set", "evaluate.topic_precision=0.8", "--set", "steer.generate.samples=3", "--set", "steer.generate.tokens=20",
        "--set", "device=cpu",
    ];

    private readonly CliHarness _cli = new();

    public GoldenGateMiniTests()
    {
        _cli.ScriptHost = new Runner.Hooks.FSharp.FSharpScriptHost(Path.Combine(_cli.Directory, "hook-cache"));
        _cli.Stages = () => StageCatalog.Create(_cli.ScriptHost);
    }

    public void Dispose() => _cli.Dispose();

    private static string Experiment()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "experiments", "golden-gate-mini.yaml");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("experiments/golden-gate-mini.yaml not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void The_reduced_embedded_default_runs_every_stage_and_shows_the_direction_of_every_effect()
    {
        _cli.Write("golden-gate-mini.yaml", File.ReadAllText(Experiment()));
        foreach (var script in Directory.GetFiles(Path.Combine(Path.GetDirectoryName(Experiment())!, "analyses"), "*.fsx"))
            _cli.Write(Path.Combine("analyses", Path.GetFileName(script)), File.ReadAllText(script));
        Assert.Equal(0, _cli.Run(["run", "golden-gate-mini.yaml", .. Reduced]));
        foreach (var stage in new[] { "pretrain", "capture", "train", "evaluate", "steer", "hooks" })
            Assert.Contains($"{stage}: done", _cli.Error);
        var run = Path.Combine(_cli.Directory, "runs", "golden-gate-mini", "golden-gate-mini");
        var m = MetricsJson.Read(Path.Combine(run, "metrics.json"));
        MetricsJson.AssertEveryMetricHasOneDefinition(run);   // every stage, topics, CE/KL, steering labels, hook metrics
        double M(string name) => (double)(m[name] ?? throw new Xunit.Sdk.XunitException($"no metric {name}"));

        // The LM learned the corpus (bigram 3.23 nats), the SAE reconstructs and splices in well, features match topics.
        Assert.True(M("pretrain.eval_loss") < M("pretrain.bigram_loss"), $"eval loss {M("pretrain.eval_loss")}");
        Assert.True(M("evaluate.fvu") < 0.2, $"fvu {M("evaluate.fvu")}");
        Assert.True(M("evaluate.ce_loss_recovered") > 0.8, $"ce recovered {M("evaluate.ce_loss_recovered")}");
        Assert.True(M("evaluate.topics_recovered") >= 1);
        Assert.True(M("evaluate.topics.mean_precision") > M("evaluate.topics.mean_raw_precision"), "SAE features beat raw directions");

        // Clamping the bridge feature up makes bridge words common; a random feature does not; suppression works.
        var baseline = M("steer.baseline.topic_fraction");
        Assert.True(M("steer.bridge_x2.topic_fraction") > 5 * baseline, $"x2 {M("steer.bridge_x2.topic_fraction")} vs {baseline}");
        Assert.True(M("steer.bridge_x5.topic_fraction") > 0.4);
        Assert.True(M("steer.random_x2.topic_fraction") < 2 * Math.Max(baseline, 0.01));
        var onTopic = M("steer.baseline_on_topic.topic_fraction");
        Assert.True(M("steer.bridge_x-2_on_topic.topic_fraction") < 0.5 * onTopic, $"-2x {M("steer.bridge_x-2_on_topic.topic_fraction")} vs {onTopic}");
        Assert.True(M("steer.ablate_bridge.topic_fraction") < onTopic);
        Assert.True(M("steer.bridge_x1.fluency") > M("steer.bridge_x10.fluency"));

        Assert.Contains("steering (bridge words", _cli.Out);

        // The shipped analyses (experiments/analyses, run by the spec's hooks): the bridge feature's neighborhood
        // and the strongest features' top tokens, as tables in the run (and so in MLflow) and as metrics.
        Assert.Equal(32, M("hooks.top-tokens.features"));
        Assert.InRange(M("hooks.top-tokens.distinct_token_fraction"), 0.1, 1);
        var bridge = m.Select(p => p.Key).Single(k => k.StartsWith("hooks.neighborhoods.", StringComparison.Ordinal));
        Assert.InRange(M(bridge), -1, 1);
        foreach (var table in new[] { "neighborhoods.parquet", "top_tokens.parquet" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(run, "tables", table));
            Assert.Equal("PAR1", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        }
        Assert.Matches(@"neighborhoods: feature \d+ \[", _cli.Error);
        Assert.Matches(@"top-tokens: feature \d+ \(max", _cli.Error);

        // The same clamp by hand: generate from the spec's cached toy model, SAE and topic matching.
        Assert.Equal(0, _cli.Run(["generate", "--model", "golden-gate-mini.yaml", .. Reduced, "--prompt", "<doc> the", "--clamp", "auto:bridge=5x", "--max-tokens", "20", "--json"]));
        var generated = JsonNode.Parse(_cli.Out)!;
        string[] bridgeWords = ["bridge", "span", "cable", "tower", "deck", "toll", "fog", "bay", "strait", "pier", "girder", "golden", "gate", "suspension", "ferry"];
        Assert.Contains(((string)generated["full_text"]!).Split(' '), w => bridgeWords.Contains(w));
        Assert.True(File.Exists(Path.Combine(run, "stages", "evaluate", "topic_matching.json")));
        Assert.True(File.Exists(Path.Combine(run, "model", "config.json")) || File.Exists(Path.Combine(run, "stages", "pretrain", "model", "config.json")));
    }
}
