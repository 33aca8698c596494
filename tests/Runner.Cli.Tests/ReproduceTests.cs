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
        Assert.True(MetricsJson.Read(Path.Combine(RunFolder("runs-a"), "metrics.json")).Count >= 3, a);
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
        var metrics = MetricsJson.Read(Path.Combine(run, "metrics.json"));
        foreach (var (name, _) in metrics) Assert.Matches($@"(?m)^{System.Text.RegularExpressions.Regex.Escape(name)}\s.*\sagree$", _cli.Out);
        Assert.Contains("0 (bit for bit)", _cli.Out);
        Assert.Contains($"all {metrics.Count} compared metrics agree", _cli.Out);
        Assert.DoesNotContain("differs", _cli.Error);

        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!.AsObject();
        var mmcs = (double)document["metrics"]!["evaluate.mmcs"]!;
        document["metrics"]!["evaluate.mmcs"] = mmcs + 1e-12;
        File.WriteAllText(Path.Combine(run, "metrics.json"), document.ToJsonString());
        Assert.Equal(1, _cli.Run("reproduce", run, "--runs-dir", "again"));
        Assert.Matches(@"(?m)^evaluate\.mmcs\s.*\sDIFFER$", _cli.Out);
        Assert.Matches(@"(?m)^evaluate\.fvu\s.*\sagree$", _cli.Out);
        Assert.Contains("1 of", _cli.Out);
        Assert.True(File.Exists(Path.Combine(RunFolder("again"), "metrics.json")));
    }

    [Fact]
    public void A_metric_recorded_under_another_definition_version_gets_its_own_row_and_leaves_the_exit_code_to_the_others()
    {
        _cli.Write("tiny.yaml", Spec);
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        var run = RunFolder("runs");
        var path = Path.Combine(run, "metrics.json");
        var document = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal(1, (int)document["definitions"]!["evaluate.fvu"]!);
        document["definitions"]!["evaluate.fvu"] = 3;      // recorded by a Runner whose fvu is at v3
        File.WriteAllText(path, document.ToJsonString());

        Assert.Equal(0, _cli.Run("reproduce", run));
        Assert.Matches(@"(?m)^evaluate\.fvu\s.*\sdefinition changed: v3 → v1 \(recorded by a newer Runner; this one knows evaluate\.fvu up to v1\)$", _cli.Out);
        Assert.Matches(@"(?m)^evaluate\.mmcs\s.*\sagree$", _cli.Out);
        var metrics = document["metrics"]!.AsObject().Count;
        Assert.Contains($"all {metrics - 1} compared metrics agree; 1 not compared: definition changed", _cli.Out);

        // Another metric that differs still fails the reproduction; the changed definition is still not compared.
        document["metrics"]!["evaluate.mmcs"] = (double)document["metrics"]!["evaluate.mmcs"]! + 1e-9;
        File.WriteAllText(path, document.ToJsonString());
        Assert.Equal(1, _cli.Run("reproduce", run));
        Assert.Matches(@"(?m)^evaluate\.mmcs\s.*\sDIFFER$", _cli.Out);
        Assert.Contains($"1 of {metrics - 1} compared metrics do not agree; 1 not compared: definition changed", _cli.Out);
    }

    [Fact]
    public void A_run_folder_with_a_flat_metrics_json_from_before_definitions_were_versioned_still_reproduces()
    {
        _cli.Write("tiny.yaml", Spec);
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        var run = RunFolder("runs");
        var path = Path.Combine(run, "metrics.json");
        var flat = MetricsJson.Read(path).DeepClone().AsObject();
        File.WriteAllText(path, flat.ToJsonString());

        Assert.Equal(0, _cli.Run("reproduce", run));
        Assert.Matches(@"(?m)^evaluate\.fvu\s.*\sagree$", _cli.Out);
        Assert.DoesNotContain("definition changed", _cli.Out);
        Assert.Contains($"all {flat.Count} compared metrics agree", _cli.Out);
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
        Assert.DoesNotContain("definition changed", _cli.Out);

        // The definition versions travel as tags runner.metric_def.<id> and are read back from them.
        var fvuTag = Path.Combine(Path.GetDirectoryName(tag)!, "runner.metric_def.evaluate.fvu");
        Assert.Equal("1", File.ReadAllText(fvuTag));
        File.WriteAllText(fvuTag, "2");
        Assert.Equal(0, _cli.Run("reproduce", "--mlflow-run", runId, "--tracking-uri", "mlruns"));
        Assert.Matches(@"(?m)^evaluate\.fvu\s.*\sdefinition changed: v2 → v1 \(recorded by a newer Runner; this one knows evaluate\.fvu up to v1\)$", _cli.Out);
        File.WriteAllText(fvuTag, "two");
        Assert.Equal(2, _cli.Run("reproduce", "--mlflow-run", runId, "--tracking-uri", "mlruns"));
        Assert.Contains("tag runner.metric_def.evaluate.fvu is 'two', not a definition version", _cli.Error);
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
        Assert.Equal("1", run.Tags["runner.metric_def.evaluate.fvu"]);    // the definition versions, as tags
        var recorded = MetricsJson.Read(Path.Combine(RunFolder("runs"), "metrics.json"));

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

    [Fact]
    public void A_metric_recorded_under_an_older_definition_says_what_changed_and_counts_neither_way()
    {
        var fvu = Runner.Pipeline.Metrics.MetricCatalog.Find("evaluate.fvu")! with
        {
            Version = 2,
            History = [new Runner.Pipeline.Metrics.MetricChange(2, "0.2.0", "dataset-mean baseline instead of the batch mean")],
        };
        Runner.Pipeline.Metrics.MetricDefinition? Find(string name) => name == "evaluate.fvu" ? fvu : Runner.Pipeline.Metrics.MetricCatalog.Find(name);
        var reproduced = new Dictionary<string, double> { ["evaluate.fvu"] = 0.2, ["evaluate.l0"] = 4 };

        var versioned = new Runner.Pipeline.Runs.RecordedMetrics(new Dictionary<string, double> { ["evaluate.fvu"] = 0.1, ["evaluate.l0"] = 4 },
            new Dictionary<string, int> { ["evaluate.fvu"] = 1, ["evaluate.l0"] = 1 });
        var rows = Commands.ReproduceCommand.Compare(versioned, reproduced, cuda: false, out var agree, Find);
        Assert.True(agree);
        var verdicts = rows.ToDictionary(r => r[0], r => r[^1]);
        Assert.Equal("definition changed: v1 → v2 (v2, since 0.2.0: dataset-mean baseline instead of the batch mean)", verdicts["evaluate.fvu"]);
        Assert.Equal("agree", verdicts["evaluate.l0"]);
        Assert.Equal("all 1 compared metric agree; 1 not compared: definition changed", Commands.ReproduceCommand.Closing(rows, agree));

        // A record from before versions: taken as v1, and the row says so.
        var flat = new Runner.Pipeline.Runs.RecordedMetrics(versioned.Values, null);
        rows = Commands.ReproduceCommand.Compare(flat, reproduced, cuda: false, out agree, Find);
        Assert.True(agree);
        Assert.EndsWith("[unversioned record, taken as v1]", rows.Single(r => r[0] == "evaluate.fvu")[^1]);
    }
}
