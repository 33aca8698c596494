using System.Globalization;
using Runner.Core;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Tests.TestKit;
using Runner.Pipeline.Tracking;

namespace Runner.Pipeline.Tests.Tracking;

public sealed class MlflowFileStoreTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static string[] Lines(string path) => File.ReadAllText(path).Split('\n');

    [Fact]
    public async Task The_file_store_is_written_exactly_as_the_documented_layout_field_by_field()
    {
        using var temp = new TempFolder();
        var dir = FakeRunFolder.Write(temp["runs"], "exp", "k=8");
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await using (var tracking = TrackingAssert.Create(temp.Path, null))
        {
            tracking.Log(dir, "FINISHED", null);
            Assert.Equal("mlflow: 1 run logged to ./mlruns (experiment exp)", await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken));
        }
        var root = temp["mlruns"];
        Assert.True(Directory.Exists(Path.Combine(root, ".trash")));
        Assert.Equal(
            [$"artifact_location: file://{root}/0", "creation_time: X", "experiment_id: '0'", "last_update_time: X", "lifecycle_stage: active", "name: Default", ""],
            Lines(Path.Combine(root, "0", "meta.yaml")).Select(MaskTime));
        var experimentDir = Assert.Single(Directory.GetDirectories(root), d => Path.GetFileName(d) is not ("0" or ".trash"));
        var id = Path.GetFileName(experimentDir);
        Assert.Matches("^[1-9][0-9]{17,18}$", id);
        var meta = Lines(Path.Combine(experimentDir, "meta.yaml"));
        Assert.Equal(
            [$"artifact_location: file://{experimentDir}", "creation_time: X", $"experiment_id: '{id}'", "last_update_time: X", "lifecycle_stage: active", "name: exp", ""],
            meta.Select(MaskTime));
        Assert.InRange(long.Parse(meta[1]["creation_time: ".Length..], CultureInfo.InvariantCulture), before, before + 60_000);

        var runDir = Assert.Single(Directory.GetDirectories(experimentDir));
        var runId = Path.GetFileName(runDir);
        Assert.Matches("^[0-9a-f]{32}$", runId);
        Assert.Equal(
        [
            $"artifact_uri: file://{runDir}/artifacts",
            $"end_time: {FakeRunFolder.Finished.ToUnixTimeMilliseconds()}",
            "entry_point_name: ''",
            $"experiment_id: '{id}'",
            "lifecycle_stage: active",
            $"run_id: {runId}",
            "run_name: k=8",
            "source_name: ''",
            "source_type: 4",
            "source_version: ''",
            $"start_time: {FakeRunFolder.Started.ToUnixTimeMilliseconds()}",
            "status: 3",
            "tags: []",
            "user_id: alice",
            "",
        ], Lines(Path.Combine(runDir, "meta.yaml")));

        // metrics/<key>: "<ts> <value> <step>\n" per value, Python's float repr; '/' makes folders.
        var expected = FakeRunFolder.ExpectedMetrics().GroupBy(m => m.Key);
        foreach (var group in expected)
        {
            var file = Path.Combine([runDir, "metrics", .. group.Key.Split('/')]);
            Assert.Equal(string.Concat(group.Select(m => $"{m.Timestamp} {PythonFloat.Format(m.Value)} {m.Step}\n")), File.ReadAllText(file));
        }
        Assert.Equal($"{FakeRunFolder.Finished.ToUnixTimeMilliseconds()} -inf 0\n", File.ReadAllText(Path.Combine(runDir, "metrics", "evaluate.mean_log10_density")));
        Assert.Equal($"{FakeRunFolder.Finished.ToUnixTimeMilliseconds()} nan 0\n", File.ReadAllText(Path.Combine(runDir, "metrics", "evaluate.odd")));
        Assert.Equal($"{FakeRunFolder.Finished.ToUnixTimeMilliseconds()} 8.0 0\n", File.ReadAllText(Path.Combine(runDir, "metrics", "train.l0")));
        Assert.True(File.Exists(Path.Combine(runDir, "metrics", "train", "terms.aux")));
        Assert.Equal(expected.Count(), Directory.GetFiles(Path.Combine(runDir, "metrics"), "*", SearchOption.AllDirectories).Length);

        // params/ and tags/: the raw value, no trailing newline.
        foreach (var (key, value) in FakeRunFolder.ExpectedParams("exp"))
            Assert.Equal(value, File.ReadAllText(Path.Combine(runDir, "params", key)));
        Assert.Equal("k=8", File.ReadAllText(Path.Combine(runDir, "tags", "mlflow.runName")));
        Assert.Equal("alice", File.ReadAllText(Path.Combine(runDir, "tags", "mlflow.user")));
        Assert.Equal("LOCAL", File.ReadAllText(Path.Combine(runDir, "tags", "mlflow.source.type")));
        Assert.Equal("8eaf", File.ReadAllText(Path.Combine(runDir, "tags", "runner.stage.train.key")));
        Assert.False(File.Exists(Path.Combine(runDir, "tags", "mlflow.parentRunId")));

        foreach (var artifact in FakeRunFolder.ExpectedArtifacts)
            Assert.Equal(File.ReadAllBytes(Path.Combine(dir, artifact)), File.ReadAllBytes(Path.Combine(runDir, "artifacts", artifact)));
        // No temp file was left where MLflow would read it as a record.
        Assert.Empty(Directory.GetFiles(runDir, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(experimentDir, "*.tmp"));
    }

    private static string MaskTime(string line) =>
        line.StartsWith("creation_time: ", StringComparison.Ordinal) ? "creation_time: X"
        : line.StartsWith("last_update_time: ", StringComparison.Ordinal) ? "last_update_time: X" : line;

    [Fact]
    public async Task A_sweep_in_the_file_store_is_a_parent_run_whose_children_name_it()
    {
        using var temp = new TempFolder();
        var dirs = new[] { 4, 8 }.Select(k => FakeRunFolder.Write(temp["runs"], "exp", $"k={k}", k)).ToList();
        string sweep;
        await using (var tracking = TrackingAssert.Create(temp.Path, "store"))
        {
            sweep = tracking.StartSweep("exp", new Dictionary<string, string> { ["runner.sweep_keys"] = "sae.k" });
            tracking.Log(dirs[0], "FINISHED", sweep);
            tracking.Log(dirs[1], "FAILED", sweep);
            Assert.Equal("mlflow: 2 runs logged to ./store (experiment exp)", await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken));
        }
        var experimentDir = Assert.Single(Directory.GetDirectories(temp["store"]), d => Path.GetFileName(d) is not ("0" or ".trash"));
        var parentDir = Path.Combine(experimentDir, sweep);
        var parent = MlflowFileStore.ReadYaml(Path.Combine(parentDir, "meta.yaml"))!;
        Assert.Equal("exp", parent["run_name"]);
        Assert.Equal("4", parent["status"]); // FAILED: a point failed
        Assert.NotNull(parent["end_time"]);
        Assert.Equal("sae.k", File.ReadAllText(Path.Combine(parentDir, "tags", "runner.sweep_keys")));
        var children = Directory.GetDirectories(experimentDir).Where(d => d != parentDir).ToList();
        Assert.Equal(2, children.Count);
        Assert.All(children, c => Assert.Equal(sweep, File.ReadAllText(Path.Combine(c, "tags", "mlflow.parentRunId"))));
        Assert.Equal(["3", "4"], children.Select(c => MlflowFileStore.ReadYaml(Path.Combine(c, "meta.yaml"))!["status"]).Order());
    }

    [Fact]
    public async Task Replaying_a_run_whose_progress_was_lost_adds_no_duplicate_line_and_a_logged_run_is_not_sent_again()
    {
        using var temp = new TempFolder();
        var dir = FakeRunFolder.Write(temp["runs"], "exp", "once");
        await using (var tracking = TrackingAssert.Create(temp.Path, null))
        {
            tracking.Log(dir, "FINISHED", null);
            await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken);
        }
        var snapshot = Snapshot(temp["mlruns"]);
        // As if the process died after sending everything but before recording it.
        var state = Path.Combine(dir, ".tracking", "state.json");
        File.WriteAllText(state, File.ReadAllText(state)
            .Replace("\"complete\": true", "\"complete\": false", StringComparison.Ordinal)
            .Replace("\"metrics_sent\": 20", "\"metrics_sent\": 0", StringComparison.Ordinal)
            .Replace("\"params_sent\": 12", "\"params_sent\": 0", StringComparison.Ordinal)
            .Replace("\"metrics_uncertain\": false", "\"metrics_uncertain\": true", StringComparison.Ordinal));
        Assert.Contains("\"metrics_sent\": 0", File.ReadAllText(state), StringComparison.Ordinal);
        var result = await RunTracking.SyncAsync(temp["runs"], temp.Path, _ => null, TestContext.Current.CancellationToken);
        Assert.Equal("mlflow: 1 spooled run logged", result.Summary);
        Assert.Equal(snapshot, Snapshot(temp["mlruns"]));

        await using (var tracking = TrackingAssert.Create(temp.Path, null))
        {
            tracking.Log(dir, "FINISHED", null);
            Assert.Equal("mlflow: 1 run logged to ./mlruns (experiment exp)", await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken));
        }
        Assert.Equal(snapshot, Snapshot(temp["mlruns"]));
    }

    [Fact]
    public async Task The_metric_definition_versions_of_metrics_json_become_tags_and_a_flat_metrics_json_gives_none()
    {
        using var temp = new TempFolder();
        var versioned = FakeRunFolder.Write(temp["runs"], "exp", "versioned", versioned: true);
        var flat = FakeRunFolder.Write(temp["runs"], "exp", "flat");
        await using (var tracking = TrackingAssert.Create(temp.Path, null))
        {
            tracking.Log(versioned, "FINISHED", null);
            tracking.Log(flat, "FINISHED", null);
            await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken);
        }
        string RunDir(string name) => Path.GetDirectoryName(Path.GetDirectoryName(
            Directory.GetFiles(temp["mlruns"], "mlflow.runName", SearchOption.AllDirectories).Single(f => File.ReadAllText(f) == name))!)!;
        Dictionary<string, string> Definitions(string name) => Directory.GetFiles(Path.Combine(RunDir(name), "tags"), "runner.metric_def.*")
            .ToDictionary(f => Path.GetFileName(f), File.ReadAllText);

        Assert.Equal(new Dictionary<string, string>
        {
            ["runner.metric_def.evaluate.fvu"] = "1",
            ["runner.metric_def.evaluate.mean_log10_density"] = "1",
            ["runner.metric_def.train.l0"] = "1",
            ["runner.metric_def.train.loss"] = "1",
        }, Definitions("versioned"));
        Assert.Empty(Definitions("flat"));
        // The values come from the versioned file's "metrics" object, as from the flat file.
        foreach (var name in new[] { "versioned", "flat" })
            Assert.StartsWith($"{FakeRunFolder.Finished.ToUnixTimeMilliseconds()} 0.125 0", File.ReadAllText(Path.Combine(RunDir(name), "metrics", "evaluate.fvu")));
    }

    private static Dictionary<string, string> Snapshot(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(root, f), File.ReadAllText);

    [Fact]
    public void Tracking_none_gives_no_tracker_and_an_unsupported_uri_is_a_usage_error()
    {
        Assert.Null(RunTracking.Create(new TrackingSpec { Mlflow = null }, "exp", "/tmp", _ => null));
        var e = Assert.Throws<RunnerException>(() => RunTracking.Create(new TrackingSpec { Mlflow = new MlflowSpec { Uri = "sqlite:///mlflow.db" } }, "exp", "/tmp", _ => null));
        Assert.Equal(2, e.ExitCode);
        Assert.StartsWith("tracking.mlflow.uri: 'sqlite:///mlflow.db' is not supported", e.Message, StringComparison.Ordinal);
        var env = Assert.Throws<RunnerException>(() => RunTracking.Create(new TrackingSpec(), "exp", "/tmp", n => n == "MLFLOW_TRACKING_URI" ? "databricks" : null));
        Assert.StartsWith("MLFLOW_TRACKING_URI: 'databricks' is not supported", env.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_target_comes_from_the_spec_then_the_environment_then_mlruns()
    {
        Func<string, string?> env = n => n == "MLFLOW_TRACKING_URI" ? "http://user:pw@mlflow.local:5000/" : null;
        Assert.Equal("http://mlflow.local:5000", TrackingTarget.Resolve(new MlflowSpec(), "/w", env).Key);
        Assert.Equal("file:///w/other", TrackingTarget.Resolve(new MlflowSpec { Uri = "other" }, "/w", env).Key);
        Assert.Equal("file:///w/mlruns", TrackingTarget.Resolve(new MlflowSpec(), "/w", _ => null).Key);
        Assert.Equal("/abs/store", TrackingTarget.Resolve(new MlflowSpec { Uri = "file:///abs/store" }, "/w", _ => null).FileStore);
    }
}
