using System.Text.Json.Nodes;
using Runner.Pipeline;

namespace Runner.Cli.Tests;

/// <summary>Determinism on the CPU and `runner reproduce`, with the real stages on a tiny synthetic experiment.</summary>
public sealed class ReproduceTests : IDisposable
{
    private const string Spec = TinySpecs.Synthetic;

    private readonly CliHarness _cli = new() { Stages = StageCatalog.Create };

    public void Dispose() => _cli.Dispose();

    private string RunFolder(string runs) => Path.Combine(_cli.Directory, runs, "tiny-synthetic", "tiny-synthetic");

    [Fact]
    public void The_same_spec_run_twice_in_separate_folders_and_caches_writes_identical_metrics()
    {
        _cli.Write("tiny.yaml", Spec);
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--runs-dir", "runs-a", "--cache-dir", "cache-a"));
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--runs-dir", "runs-b", "--cache-dir", "cache-b"));
        var a = File.ReadAllText(Path.Combine(RunFolder("runs-a"), "metrics.json"));
        var b = File.ReadAllText(Path.Combine(RunFolder("runs-b"), "metrics.json"));
        Assert.True(JsonNode.Parse(a)!.AsObject().Count >= 3, a);
        Assert.Equal(a, b);

        // A different seed is a different run: the seed reaches the results.
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--set", "seed=4", "--runs-dir", "runs-c", "--cache-dir", "cache-c"));
        Assert.NotEqual(a, File.ReadAllText(Path.Combine(RunFolder("runs-c"), "metrics.json")));
    }

    [Fact]
    public void Reproducing_a_finished_run_agrees_on_every_metric_and_a_tampered_metric_is_shown_and_fails()
    {
        _cli.Write("tiny.yaml", Spec);
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        var run = RunFolder("runs");
        var stages = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "stages.json")))!.AsObject();
        Assert.False(string.IsNullOrEmpty((string?)stages["runner_version"]));

        Assert.Equal(0, _cli.Run("reproduce", run));
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!.AsObject();
        foreach (var (name, _) in metrics) Assert.Matches($@"(?m)^{System.Text.RegularExpressions.Regex.Escape(name)}\s.*\sagree$", _cli.Out);
        Assert.Contains("0 (bit for bit)", _cli.Out);
        Assert.Contains($"all {metrics.Count} compared metrics agree", _cli.Out);
        Assert.DoesNotContain("differs", _cli.Error);

        var mmcs = (double)metrics["evaluate.mmcs"]!;
        metrics["evaluate.mmcs"] = mmcs + 1e-12;
        File.WriteAllText(Path.Combine(run, "metrics.json"), metrics.ToJsonString());
        Assert.Equal(1, _cli.Run("reproduce", run, "--runs-dir", "again"));
        Assert.Matches(@"(?m)^evaluate\.mmcs\s.*\sDIFFER$", _cli.Out);
        Assert.Matches(@"(?m)^evaluate\.fvu\s.*\sagree$", _cli.Out);
        Assert.Contains("1 of", _cli.Out);
        Assert.True(File.Exists(Path.Combine(RunFolder("again"), "metrics.json")));
    }

    [Fact]
    public void Reproducing_a_folder_that_is_not_a_run_is_a_usage_error()
    {
        System.IO.Directory.CreateDirectory(Path.Combine(_cli.Directory, "not-a-run"));
        Assert.Equal(2, _cli.Run("reproduce", "not-a-run"));
        Assert.Contains("not a readable run folder", _cli.Error);
        Assert.Equal(2, _cli.Run("reproduce", "missing"));
        Assert.Equal(2, _cli.Run("reproduce", "--mlflow-run", "0123abcd", "--tracking-uri", "mlruns"));
        Assert.Contains("no run '0123abcd'", _cli.Error);
    }

    [Fact]
    public void An_old_run_folder_without_version_or_commit_still_reproduces_with_a_warning()
    {
        _cli.Write("tiny.yaml", Spec);
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        var run = RunFolder("runs");
        var path = Path.Combine(run, "stages.json");
        var stages = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        stages.Remove("runner_version");
        stages.Remove("git_commit");
        stages["environment"] = "libtorch=0.0.1;shim=0";
        File.WriteAllText(path, stages.ToJsonString());

        Assert.Equal(0, _cli.Run("reproduce", run));
        Assert.Contains("does not record its Runner version", _cli.Error);
        Assert.Contains("environment (libtorch/shim) differs: recorded libtorch=0.0.1;shim=0, now test-environment", _cli.Error);
    }

    [Fact]
    public void An_MLflow_run_reproduces_from_its_run_folder_and_from_its_artifact_once_the_folder_is_gone()
    {
        _cli.Write("tiny.yaml", Spec + "\ntracking: { mlflow: { uri: mlruns } }\n");
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        var tag = System.IO.Directory.GetFiles(Path.Combine(_cli.Directory, "mlruns"), "runner.run_folder", SearchOption.AllDirectories).Single();
        var runId = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(tag)))!;

        Assert.Equal(0, _cli.Run("reproduce", "--mlflow-run", runId, "--tracking-uri", "mlruns"));
        Assert.Contains("run folder", _cli.Out);
        Assert.Matches(@"(?m)^evaluate\.mmcs\s.*\sagree$", _cli.Out);

        System.IO.Directory.Delete(RunFolder("runs"), recursive: true);
        Assert.Equal(0, _cli.Run("reproduce", "--mlflow-run", runId, "--tracking-uri", "mlruns"));
        Assert.DoesNotContain("run folder", _cli.Out);
        Assert.Matches(@"(?m)^evaluate\.mmcs\s.*\sagree$", _cli.Out);
        Assert.DoesNotContain("differs", _cli.Error);
    }

    [Fact]
    public async Task An_MLflow_run_on_a_server_reproduces_from_its_artifact_and_an_unknown_id_or_a_dead_server_is_a_usage_error()
    {
        await using var server = new Runner.Pipeline.Tests.Tracking.MlflowTestServer();
        _cli.Environment["MLFLOW_TRACKING_URI"] = server.Url;
        _cli.Write("tiny.yaml", Spec + "\ntracking: { mlflow: { experiment: tiny-server } }\n");
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        var run = Assert.Single(server.Runs.Values);
        Assert.Equal("FINISHED", run.Status);
        Assert.Contains($"{run.ExperimentId}/{run.Id}/artifacts/resolved.yaml", server.Artifacts.Keys);
        var recorded = JsonNode.Parse(File.ReadAllText(Path.Combine(RunFolder("runs"), "metrics.json")))!.AsObject();

        System.IO.Directory.Delete(RunFolder("runs"), recursive: true);
        _cli.Environment.Remove("MLFLOW_TRACKING_URI");
        Assert.Equal(0, _cli.Run("reproduce", "--mlflow-run", run.Id, "--tracking-uri", server.Url));
        Assert.Contains($"MLflow run {run.Id}", _cli.Out);
        Assert.DoesNotContain("run folder", _cli.Out);
        foreach (var (name, value) in recorded)
            if (!name.EndsWith("seconds", StringComparison.Ordinal) && !name.EndsWith("per_second", StringComparison.Ordinal))
                Assert.Matches($@"(?m)^{System.Text.RegularExpressions.Regex.Escape(name)}\s.*\sagree$", _cli.Out);
        Assert.Matches(@"(?m)^evaluate\.mmcs\s.*\sagree$", _cli.Out);
        Assert.DoesNotContain("DIFFER", _cli.Out);
        Assert.DoesNotContain("differs", _cli.Error);
        Assert.Contains(server.Log, l => l.Method == "GET" && l.Endpoint == "runs/get");

        Assert.Equal(2, _cli.Run("reproduce", "--mlflow-run", "0123abcd", "--tracking-uri", server.Url));
        Assert.Contains("no run '0123abcd'", _cli.Error);
        Assert.Contains(server.Url, _cli.Error);

        var port = server.Port;
        await server.StopAsync();
        _cli.Environment["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0";
        Assert.Equal(2, _cli.Run("reproduce", "--mlflow-run", run.Id, "--tracking-uri", $"http://127.0.0.1:{port}"));
        Assert.Contains("unreachable", _cli.Error);
        Assert.Contains($"http://127.0.0.1:{port}", _cli.Error);
    }

    [Fact]
    public void CPU_metrics_must_match_bit_for_bit_CUDA_ones_within_the_relative_tolerance_and_timings_are_not_compared()
    {
        Assert.True(Commands.ReproduceCommand.Agrees(0.1, 0.1, cuda: false));
        Assert.True(Commands.ReproduceCommand.Agrees(double.NaN, double.NaN, cuda: false));
        Assert.False(Commands.ReproduceCommand.Agrees(0.1, Math.BitIncrement(0.1), cuda: false));
        Assert.True(Commands.ReproduceCommand.Agrees(100, 100.09, cuda: true));
        Assert.False(Commands.ReproduceCommand.Agrees(100, 100.2, cuda: true));
        Assert.True(Commands.ReproduceCommand.Agrees(0, 5e-7, cuda: true));
        Assert.False(Commands.ReproduceCommand.Agrees(1, double.NaN, cuda: true));

        var rows = Commands.ReproduceCommand.Compare(
            new Dictionary<string, double> { ["pretrain.seconds"] = 20, ["capture.tokens_per_second"] = 5, ["train.mse"] = 1, ["train.l0"] = 4 },
            new Dictionary<string, double> { ["pretrain.seconds"] = 25, ["capture.tokens_per_second"] = 6, ["train.mse"] = 1, ["evaluate.fvu"] = 0.1 },
            cuda: false, out var agree);
        Assert.False(agree);
        var verdicts = rows.ToDictionary(r => r[0], r => r[^1]);
        Assert.Equal("timing, not compared", verdicts["pretrain.seconds"]);
        Assert.Equal("timing, not compared", verdicts["capture.tokens_per_second"]);
        Assert.Equal("agree", verdicts["train.mse"]);
        Assert.Equal("missing", verdicts["train.l0"]);
        Assert.Equal("not recorded", verdicts["evaluate.fvu"]);
    }
}
