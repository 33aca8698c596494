using System.Text.Json.Nodes;
using Runner.Pipeline;

namespace Runner.Cli.Tests;

/// <summary>The real stages (capture, train, evaluate) end to end on a tiny synthetic experiment.</summary>
public sealed class BuiltinStagesTests : IDisposable
{
    private const string Spec = TinySpecs.Synthetic;

    private readonly CliHarness _cli = new() { Stages = StageCatalog.Create };

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void A_synthetic_run_recovers_the_planted_features_and_exports_a_loadable_SAELens_folder()
    {
        _cli.Write("tiny.yaml", Spec);
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        var run = Path.Combine(_cli.Directory, "runs", "tiny-synthetic", "tiny-synthetic");
        var metrics = MetricsJson.Read(Path.Combine(run, "metrics.json"));
        MetricsJson.AssertEveryMetricHasOneDefinition(run);   // synthetic capture, train, evaluate with MMCS/MCC
        Assert.True((double)metrics["evaluate.mmcs"]! > 0.8, $"mmcs {metrics["evaluate.mmcs"]}");
        Assert.True((double)metrics["evaluate.fvu"]! < 0.5, $"fvu {metrics["evaluate.fvu"]}");
        Assert.InRange((double)metrics["evaluate.l0"]!, 3.5, 4.0);

        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "sae", "cfg.json")))!.AsObject();
        Assert.Equal("topk", (string?)cfg["architecture"]);
        Assert.Equal(16, (int)cfg["d_in"]!);
        Assert.Equal(64, (int)cfg["d_sae"]!);
        Assert.True(File.Exists(Path.Combine(run, "sae", "sparsity.safetensors")));
        Assert.True(File.Exists(Path.Combine(run, "stages", "evaluate", "feature_stats.safetensors")));

        Assert.Equal(0, _cli.Run("export", run, "--format", "saelens", "exported"));
        Assert.True(File.Exists(Path.Combine(_cli.Directory, "exported", "sae_weights.safetensors")));
    }

    [Fact]
    public void Changing_only_the_SAE_reuses_the_capture_and_changing_the_log_interval_reuses_everything()
    {
        _cli.Write("tiny.yaml", Spec);
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--set", "sae.log_every=7"));
        Assert.Contains("train: cached", _cli.Error);
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--set", "sae.k=3", "--dry-run"));
        Assert.Matches(@"capture\s+\w{12}\s+cached", _cli.Out);
        Assert.Matches(@"train\s+\w{12}\s+compute", _cli.Out);
    }

    [Fact]
    public void Training_cancelled_midway_resumes_on_the_next_run_and_matches_an_uninterrupted_run()
    {
        const string set = "sae.checkpoint_every=20_000";
        using var reference = new CliHarness { Stages = StageCatalog.Create };
        reference.Write("tiny.yaml", Spec);
        Assert.Equal(0, reference.Run("run", "tiny.yaml", "--set", set));
        var expected = File.ReadAllText(Path.Combine(reference.Directory, "runs", "tiny-synthetic", "tiny-synthetic", "metrics.json"));

        _cli.Write("tiny.yaml", Spec);
        using var cts = new CancellationTokenSource();
        _cli.OnErrorLine = line => { if (line.Contains("train: ") && line.Contains("% (")) cts.Cancel(); };
        Assert.Equal(130, _cli.Run(cts.Token, "run", "tiny.yaml", "--set", set));
        // The interrupted point is recorded as killed (nothing a later run trusts: no train entry was published)...
        var run = Path.Combine(_cli.Directory, "runs", "tiny-synthetic", "tiny-synthetic");
        var killed = Runner.Pipeline.Runs.RunFolder.Read(run);
        Assert.True(killed.Killed);
        Assert.Equal(("train", Runner.Pipeline.Runs.StageStatus.Killed), (killed.Stages[^1].Name, killed.Stages[^1].Status));
        Assert.False(Directory.Exists(Path.Combine(run, "stages", "train")));
        var trainEntries = Path.Combine(_cli.Directory, ".runner", "cache", "train");
        Assert.False(Directory.Exists(trainEntries) && Directory.EnumerateFiles(trainEntries, "manifest.json", SearchOption.AllDirectories).Any());

        _cli.OnErrorLine = null;
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--set", set));
        Assert.Contains("capture: cached", _cli.Error);
        var manifest = Directory.GetFiles(Path.Combine(_cli.Directory, ".runner", "cache", "train"), "manifest.json", SearchOption.AllDirectories).Single();
        Assert.Contains("resumed from a checkpoint", File.ReadAllText(manifest));
        Assert.Equal(expected, File.ReadAllText(Path.Combine(_cli.Directory, "runs", "tiny-synthetic", "tiny-synthetic", "metrics.json")));
        Assert.False(Runner.Pipeline.Runs.RunFolder.Read(run).Killed); // ...and the resumed run replaced its folder
    }
}
