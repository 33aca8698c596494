using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Tests.TestKit;

namespace Runner.Pipeline.Tests.Runs;

public sealed class RunFolderTests : IDisposable
{
    private readonly PipelineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static CountingStage[] Chain() => [new CountingStage("data"), new CountingStage("train", "data")];

    [Fact]
    public async Task A_run_folder_holds_the_resolved_spec_metrics_stage_table_and_links_to_the_entries()
    {
        var report = await _fx.RunAsync(Chain(), Points.Sweep("train.k", 4), o => o with { ResolvedYaml = p => $"name: {p.Experiment}\n" });
        var dir = report.Points[0].RunDirectory!;

        Assert.Equal(Path.Combine(_fx.RunsRoot, "exp", "k=4"), dir);
        Assert.Equal(["metrics.json", "resolved.yaml", "stages", "stages.json"], Directory.EnumerateFileSystemEntries(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("name: exp\n", File.ReadAllText(Path.Combine(dir, "resolved.yaml")));

        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")))!.AsObject();
        Assert.Equal(["format", "version", "metrics", "definitions"], document.Select(p => p.Key));
        Assert.Equal(("runner-metrics", 2), ((string?)document["format"], (int)document["version"]!));
        var metrics = document["metrics"]!.AsObject();
        Assert.Equal(["data.calls", "data.chars", "train.calls", "train.chars"], metrics.Select(p => p.Key));
        Assert.Equal(1, (double)metrics["train.calls"]!);
        Assert.Empty(document["definitions"]!.AsObject());   // test stages' metrics have no definition

        var stages = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "stages.json")))!.AsObject();
        Assert.Equal(("exp", "k=4", 0), ((string?)stages["experiment"], (string?)stages["run_name"], (int)stages["point"]!));
        Assert.Equal(report.Points[0].Point.SpecHash, (string?)stages["spec_hash"]);
        Assert.Equal(PipelineFixture.Environment, (string?)stages["environment"]);
        Assert.Equal(4, (int)stages["varied"]!["train.k"]!);
        var table = stages["stages"]!.AsArray().Select(s => $"{s!["name"]} {s["status"]} {((string?)s["key"])!.Length}").ToList();
        Assert.Equal(["data computed 64", "train computed 64"], table);

        foreach (var entry in _fx.Cache().List())
        {
            var link = new DirectoryInfo(Path.Combine(dir, "stages", entry.Stage));
            Assert.Equal(entry.Directory, link.LinkTarget);
            Assert.True(File.Exists(Path.Combine(link.FullName, "out.txt")));
        }
    }

    [Fact]
    public async Task Without_a_serializer_resolved_yaml_holds_the_resolved_json()
    {
        var report = await _fx.RunAsync(Chain(), [Points.Make()]);
        var text = File.ReadAllText(Path.Combine(report.Points[0].RunDirectory!, "resolved.yaml"));
        Assert.True(JsonNode.DeepEquals(report.Points[0].Point.Json, JsonNode.Parse(text)));
    }

    [Fact]
    public async Task A_rerun_replaces_the_run_folder_whole_and_never_deletes_cache_entries()
    {
        var first = await _fx.RunAsync(Chain(), [Points.Make()]);
        File.WriteAllText(Path.Combine(first.Points[0].RunDirectory!, "stray.txt"), "from before");
        var second = await _fx.RunAsync(Chain(), [Points.Make()]);

        var dir = second.Points[0].RunDirectory!;
        Assert.False(File.Exists(Path.Combine(dir, "stray.txt")));
        Assert.Equal(["cached", "cached"], RunFolder.Read(dir).Stages.Select(s => s.Status.ToString().ToLowerInvariant()));
        Assert.Equal(2, _fx.Cache().List().Count);
        Assert.All(_fx.Cache().List(), e => Assert.True(File.Exists(Path.Combine(e.Directory, "out.txt"))));
        Assert.Equal(["exp"], Directory.EnumerateFileSystemEntries(_fx.RunsRoot).Select(Path.GetFileName));
        Assert.Equal(["exp"], Directory.EnumerateFileSystemEntries(Path.Combine(_fx.RunsRoot, "exp")).Select(Path.GetFileName)); // no temp or old folders left
    }

    [Fact]
    public void Read_returns_what_Write_wrote()
    {
        var entry = _fx["entry"];
        Directory.CreateDirectory(entry);
        var record = new RunRecord
        {
            Experiment = "exp",
            RunName = "k=32,dict_size=4096",
            Point = 3,
            SpecHash = new string('f', 64),
            Environment = "env",
            RunnerVersion = "1.2.3",
            GitCommit = new string('c', 40),
            Varied = [KeyValuePair.Create("sae.k", (JsonNode?)32), KeyValuePair.Create("sae.dict_size", (JsonNode?)4096)],
            Started = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
            Finished = new DateTimeOffset(2025, 1, 1, 0, 1, 0, TimeSpan.Zero),
            Stages =
            [
                new RunStage { Name = "train", Key = new string('a', 64), Status = StageStatus.Computed, Seconds = 1.5, Entry = entry, Metrics = new Dictionary<string, double> { ["mse"] = 0.5, ["dead"] = double.NaN } },
                new RunStage { Name = "evaluate", Key = new string('b', 64), Status = StageStatus.Cached, Seconds = 0, Entry = entry },
            ],
        };
        var dir = RunFolder.Write(_fx.RunsRoot, record, "name: exp\n");
        var read = RunFolder.Read(dir);

        Assert.Equal((record.Experiment, record.RunName, record.Point, record.SpecHash, record.Environment, record.Started, record.Finished),
            (read.Experiment, read.RunName, read.Point, read.SpecHash, read.Environment, read.Started, read.Finished));
        Assert.Equal(("1.2.3", new string('c', 40)), (read.RunnerVersion, read.GitCommit));
        Assert.Equal(["sae.k", "sae.dict_size"], read.Varied.Select(v => v.Key));
        Assert.Equal(record.Stages.Select(s => (s.Name, s.Key, s.Status, s.Seconds, s.Entry)), read.Stages.Select(s => (s.Name, s.Key, s.Status, s.Seconds, s.Entry)));
        Assert.Equal(0.5, read.Metrics["train.mse"]);
        Assert.True(double.IsNaN(read.Stages[0].Metrics["dead"]));
        Assert.Equal([dir], RunFolder.Enumerate(_fx.RunsRoot));
    }

    [Fact]
    public void A_failed_run_round_trips_and_links_only_its_completed_stages()
    {
        var entry = _fx["entry"];
        Directory.CreateDirectory(entry);
        var record = new RunRecord
        {
            Experiment = "exp",
            RunName = "k=4",
            Point = 0,
            SpecHash = new string('f', 64),
            Error = "stage train failed (point 0, k=4): boom",
            Stages =
            [
                new RunStage { Name = "data", Key = new string('a', 64), Status = StageStatus.Cached, Seconds = 0, Entry = entry, Metrics = new Dictionary<string, double> { ["n"] = 3 } },
                new RunStage { Name = "train", Key = new string('b', 64), Status = StageStatus.Failed, Seconds = 2, Entry = "", Error = "boom" },
            ],
        };
        var dir = RunFolder.Write(_fx.RunsRoot, record, "name: exp\n");
        var stages = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "stages.json")))!;
        Assert.Equal(("failed", "stage train failed (point 0, k=4): boom"), ((string?)stages["status"], (string?)stages["error"]));
        Assert.Equal(["cached", "failed"], stages["stages"]!.AsArray().Select(s => (string?)s!["status"]));
        Assert.Equal(["data"], Directory.EnumerateFileSystemEntries(Path.Combine(dir, "stages")).Select(Path.GetFileName));

        var read = RunFolder.Read(dir);
        Assert.True(read.Failed);
        Assert.Equal(record.Error, read.Error);
        Assert.Equal(record.Stages.Select(s => (s.Name, s.Status, s.Error)), read.Stages.Select(s => (s.Name, s.Status, s.Error)));
        Assert.Equal(["data.n"], read.Metrics.Keys);
    }

    [Fact]
    public void A_stages_json_without_the_run_status_reads_as_a_finished_run()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_fx.RunsRoot, "exp", "old")).FullName;
        File.WriteAllText(Path.Combine(dir, "metrics.json"), "{\"train.mse\": 0.5}");
        File.WriteAllText(Path.Combine(dir, "stages.json"), """
            {"experiment": "exp", "run_name": "old", "point": 0, "spec_hash": "ab", "environment": "env", "varied": {},
             "started": "2025-01-01T00:00:00.0000000Z", "finished": "2025-01-01T00:01:00.0000000Z",
             "stages": [{"name": "train", "key": "k1", "status": "computed", "seconds": 1.5, "entry": "/nowhere"}]}
            """);
        var read = RunFolder.Read(dir);
        Assert.False(read.Failed);
        Assert.Null(read.Error);
        Assert.Null(read.RunnerVersion);
        Assert.Null(read.GitCommit);
        Assert.Equal([("train", StageStatus.Computed, (string?)null)], read.Stages.Select(s => (s.Name, s.Status, s.Error)));
        Assert.Equal(0.5, read.Metrics["train.mse"]);
        Assert.Null(read.MetricDefinitions);   // a flat metrics.json: unversioned, taken as v1
        Assert.False(read.RecordedMetrics.Versioned);
        Assert.Equal(1, read.RecordedMetrics.VersionOf(Pipeline.Metrics.MetricCatalog.Find("train.mse")!));
    }

    [Fact]
    public void Metrics_json_records_the_definition_version_of_every_metric_it_holds_and_reads_back()
    {
        var record = new RunRecord
        {
            Experiment = "exp", RunName = "defs", Point = 0, SpecHash = "ab",
            Stages =
            [
                new RunStage { Name = "evaluate", Key = "k", Status = StageStatus.Computed, Seconds = 1, Entry = "",
                    Metrics = new Dictionary<string, double> { ["fvu"] = 0.1, ["topic.bridge.precision"] = 0.9, ["topic.golden.precision"] = 0.8, ["value"] = double.NaN } },
                new RunStage { Name = "steer", Key = "s", Status = StageStatus.Computed, Seconds = 1, Entry = "",
                    Metrics = new Dictionary<string, double> { ["bridge_x0.5.topic_fraction"] = 0.2 } },
            ],
        };
        var dir = RunFolder.Write(_fx.RunsRoot, record, "name: exp\n");
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "metrics.json")))!.AsObject();
        Assert.Equal("NaN", (string?)document["metrics"]!["evaluate.value"]);
        Assert.Equal(["evaluate.fvu", "evaluate.topic.precision", "steer.topic_fraction"], document["definitions"]!.AsObject().Select(p => p.Key));
        Assert.All(document["definitions"]!.AsObject(), p => Assert.Equal(1, (int)p.Value!));

        var read = RunFolder.Read(dir);
        Assert.Equal(record.Metrics.Keys.Order(), read.Metrics.Keys.Order());
        Assert.True(double.IsNaN(read.Metrics["evaluate.value"]));
        Assert.Equal(new Dictionary<string, int> { ["evaluate.fvu"] = 1, ["evaluate.topic.precision"] = 1, ["steer.topic_fraction"] = 1 }, read.MetricDefinitions);
    }

    [Theory]
    [InlineData("""{"format": "runner-metrics", "version": 3, "metrics": {}, "definitions": {}}""", "version 3, written by a newer Runner")]
    [InlineData("""{"format": "something-else", "metrics": {}}""", "format \"something-else\", not runner-metrics")]
    [InlineData("""{"format": "runner-metrics", "version": 2, "metrics": {"train.mse": 1}, "definitions": {"train.mse": "one"}}""", "definition train.mse: the version is not a positive integer")]
    [InlineData("""{"format": "runner-metrics", "version": 2, "definitions": {}}""", "no \"metrics\" object")]
    [InlineData("""{"train.mse": "high"}""", "metric train.mse is not a number")]
    public void A_metrics_json_of_the_wrong_shape_is_a_usage_error_naming_what_is_wrong(string metrics, string message)
    {
        var dir = Directory.CreateDirectory(Path.Combine(_fx.RunsRoot, "exp", "bad")).FullName;
        File.WriteAllText(Path.Combine(dir, "metrics.json"), metrics);
        File.WriteAllText(Path.Combine(dir, "stages.json"), """
            {"experiment": "exp", "run_name": "bad", "point": 0, "spec_hash": "ab", "stages": []}
            """);
        var e = Assert.Throws<RunnerException>(() => RunFolder.Read(dir));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Reading_a_folder_that_is_not_a_run_is_a_usage_error()
    {
        var e = Assert.Throws<RunnerException>(() => RunFolder.Read(_fx.RunsRoot));
        Assert.Equal(2, e.ExitCode);
        Assert.StartsWith($"{_fx.RunsRoot} is not a readable run folder: ", e.Message);
    }

    [Fact]
    public void Enumerate_lists_complete_run_folders_only()
    {
        Directory.CreateDirectory(Path.Combine(_fx.RunsRoot, "exp", "complete"));
        File.WriteAllText(Path.Combine(_fx.RunsRoot, "exp", "complete", "stages.json"), "{}");
        Directory.CreateDirectory(Path.Combine(_fx.RunsRoot, "exp", ".tmp.partial.123"));
        File.WriteAllText(Path.Combine(_fx.RunsRoot, "exp", ".tmp.partial.123", "stages.json"), "{}");
        Directory.CreateDirectory(Path.Combine(_fx.RunsRoot, "exp", "no-table"));
        Assert.Equal([Path.Combine(_fx.RunsRoot, "exp", "complete")], RunFolder.Enumerate(_fx.RunsRoot));
    }

    [Theory]
    [InlineData("k=32,dict_size=4096", "k=32,dict_size=4096")]
    [InlineData("model.path=./ckpt/gpt2", "model.path=._ckpt_gpt2")]
    [InlineData("..", "_..")]
    [InlineData("", "_")]
    [InlineData("a\nb", "a_b")]
    public void Names_become_single_safe_path_segments(string name, string safe) => Assert.Equal(safe, RunFolder.SafeName(name));

    [Fact]
    public void Long_names_are_cut_and_keep_a_hash_of_the_full_name()
    {
        var a = RunFolder.SafeName(new string('x', 300) + "a");
        var b = RunFolder.SafeName(new string('x', 300) + "b");
        Assert.Equal(113, a.Length);
        Assert.NotEqual(a, b);
    }
}
