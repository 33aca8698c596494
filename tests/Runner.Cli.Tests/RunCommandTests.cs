namespace Runner.Cli.Tests;

public sealed class RunCommandTests : IDisposable
{
    private const string Sweep = """
        name: demo
        seed: 1
        model: { source: toy }
        sae: { architecture: topk, dict_size: 64, k: 4 }
        sweep: { sae.k: [4, 8] }
        """;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void A_sweep_computes_the_shared_stage_once_and_writes_a_run_folder_per_point()
    {
        _cli.Write("demo.yaml", Sweep);
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal(1, _cli.Capture.Calls);
        Assert.Equal(2, _cli.Train.Calls);
        foreach (var run in new[] { "k=4", "k=8" })
        {
            var dir = Path.Combine(_cli.Directory, "runs", "demo", run);
            Assert.True(File.Exists(Path.Combine(dir, "resolved.yaml")), run);
            Assert.Contains("\"train.value\"", File.ReadAllText(Path.Combine(dir, "metrics.json")));
        }
        Assert.Contains("demo: 2 of 2 runs succeeded", _cli.Out);
        Assert.Matches(@"status\s+ok\s+ok", _cli.Out);
        Assert.Matches(@"train\.value\s+5\s+9", _cli.Out); // train.value = k + its one input, per run
    }

    [Fact]
    public void A_stage_output_declared_as_a_run_link_appears_at_the_top_of_the_run_folder()
    {
        _cli.Write("demo.yaml", Sweep);
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        var sae = Path.Combine(_cli.Directory, "runs", "demo", "k=4", "sae", "weights.txt");
        Assert.Equal("train", File.ReadAllText(sae));
    }

    [Fact]
    public void A_second_run_takes_every_stage_from_the_cache()
    {
        _cli.Write("demo.yaml", Sweep);
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal(1, _cli.Capture.Calls);
        Assert.Equal(2, _cli.Train.Calls);
        Assert.Contains("train: cached", _cli.Error);
        Assert.Contains("\"cached\"", File.ReadAllText(Path.Combine(_cli.Directory, "runs", "demo", "k=4", "stages.json")));
    }

    [Fact]
    public void Dry_run_prints_the_plan_and_runs_nothing()
    {
        _cli.Write("demo.yaml", Sweep);
        Assert.Equal(0, _cli.Run("run", "demo.yaml", "--dry-run"));
        Assert.Equal(0, _cli.Capture.Calls + _cli.Train.Calls);
        Assert.Contains("plan for demo: 2 runs, 3 stage computations", _cli.Out);
        Assert.Contains("shared (computed once for an earlier point)", _cli.Out);
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, "runs")));

        Assert.Equal(0, _cli.Run("run", "demo.yaml", "--point", "0"));
        Assert.Equal(0, _cli.Run("run", "demo.yaml", "--dry-run"));
        Assert.Contains("plan for demo: 2 runs, 1 stage computation", _cli.Out);
        Assert.Matches(@"capture\s+\w{12}\s+cached", _cli.Out);
    }

    [Fact]
    public void Force_recomputes_the_named_stage_only()
    {
        _cli.Write("demo.yaml", Sweep);
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal(0, _cli.Run("run", "demo.yaml", "--force", "train"));
        Assert.Equal(1, _cli.Capture.Calls);
        Assert.Equal(4, _cli.Train.Calls);
    }

    [Fact]
    public void Set_and_device_override_the_spec()
    {
        _cli.Write("demo.yaml", Sweep.Replace("sweep: { sae.k: [4, 8] }", ""));
        Assert.Equal(0, _cli.Run("run", "demo.yaml", "--set", "sae.k=16", "--device", "cpu"));
        var resolved = File.ReadAllText(Path.Combine(_cli.Directory, "runs", "demo", "demo", "resolved.yaml"));
        Assert.Contains("k: 16", resolved);
        Assert.Contains("device: cpu", resolved);
    }

    [Fact]
    public void A_failing_stage_exits_1_with_one_line_and_keeps_the_other_stages_cached()
    {
        _cli.Write("demo.yaml", Sweep);
        _cli.Train.FailWith = new Core.RunnerException("the dictionary exploded");
        Assert.Equal(1, _cli.Run("run", "demo.yaml"));
        Assert.Contains("error: stage train failed", _cli.Error);
        Assert.Contains("the dictionary exploded", _cli.Error);
        Assert.DoesNotContain("   at ", _cli.Error); // no stack trace for a stage failure

        _cli.Train.FailWith = null;
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal(1, _cli.Capture.Calls);
    }

    [Fact]
    public void A_failed_point_gets_a_run_folder_and_an_mlflow_run_that_ended_FAILED()
    {
        _cli.Write("demo.yaml", Sweep);
        _cli.Train.FailWith = new Core.RunnerException("the dictionary exploded");
        Assert.Equal(1, _cli.Run("run", "demo.yaml", "--keep-going"));
        Assert.Contains("demo: 0 of 2 runs succeeded", _cli.Out);
        Assert.Matches(@"status\s+failed\s+failed", _cli.Out);

        // The folder: the completed stage with its metrics, then the failed one with the error (no entry linked).
        var dir = Path.Combine(_cli.Directory, "runs", "demo", "k=4");
        var stages = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "stages.json")))!;
        Assert.Equal("failed", (string?)stages["status"]);
        Assert.Contains("the dictionary exploded", (string?)stages["error"]);
        Assert.Equal(["capture", "train"], stages["stages"]!.AsArray().Select(s => (string?)s!["name"]));
        Assert.Equal("failed", (string?)stages["stages"]![1]!["status"]);
        Assert.Equal("the dictionary exploded", (string?)stages["stages"]![1]!["error"]);
        Assert.Contains("\"capture.value\"", File.ReadAllText(Path.Combine(dir, "metrics.json")));
        Assert.DoesNotContain("train.value", File.ReadAllText(Path.Combine(dir, "metrics.json")));
        Assert.True(Directory.Exists(Path.Combine(dir, "stages", "capture")));
        Assert.False(Directory.Exists(Path.Combine(dir, "stages", "train")));
        Assert.False(Directory.Exists(Path.Combine(dir, "sae")));
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));
        var record = Runner.Pipeline.Runs.RunFolder.Read(dir);
        Assert.True(record.Failed);
        Assert.Equal(Runner.Pipeline.Runs.StageStatus.Failed, record.Stages[^1].Status);

        Assert.Equal(0, _cli.Run("ls"));
        Assert.Matches(@"demo\s+k=4\s+\S+ \S+\s+1 computed, 0 cached; FAILED at train\s+1\s+runs/demo/k=4", _cli.Out);
        Assert.Equal(0, _cli.Run("show", dir));
        Assert.Contains("status       failed: stage train failed", _cli.Out);
        Assert.Matches(@"train\s+failed", _cli.Out);

        // MLflow: a child per point ended FAILED (4) with an end time and the error as a tag; the parent ended FAILED too.
        var experiment = Assert.Single(Directory.GetDirectories(Path.Combine(_cli.Directory, "mlruns")), d => Path.GetFileName(d) is not ("0" or ".trash"));
        var runs = Directory.GetDirectories(experiment).Select(r => (Dir: r, Meta: Runner.Pipeline.Tracking.MlflowFileStore.ReadYaml(Path.Combine(r, "meta.yaml"))!)).ToList();
        Assert.Equal(3, runs.Count);
        Assert.All(runs, r => Assert.Equal("4", r.Meta["status"]));
        Assert.All(runs, r => Assert.Matches("^[0-9]+$", r.Meta["end_time"]));
        var child = runs.Single(r => File.Exists(Path.Combine(r.Dir, "tags", "mlflow.runName")) && File.ReadAllText(Path.Combine(r.Dir, "tags", "mlflow.runName")) == "k=4");
        Assert.Contains("the dictionary exploded", File.ReadAllText(Path.Combine(child.Dir, "tags", "runner.error")));
        Assert.Equal("failed", File.ReadAllText(Path.Combine(child.Dir, "tags", "runner.stage.train.status")));
        Assert.True(File.Exists(Path.Combine(child.Dir, "metrics", "capture.value")));

        // A rerun that succeeds replaces the failed folder whole.
        _cli.Train.FailWith = null;
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.False(Runner.Pipeline.Runs.RunFolder.Read(dir).Failed);
        Assert.DoesNotContain("error", File.ReadAllText(Path.Combine(dir, "stages.json")));
    }

    [Fact]
    public void A_point_cancelled_midway_gets_a_killed_run_folder_and_mlflow_runs_end_FINISHED_and_KILLED()
    {
        _cli.Write("demo.yaml", Sweep);
        using var cts = new CancellationTokenSource();
        long before = 0, after = 0;
        _cli.OnErrorLine = line =>
        {
            if (!line.Contains("[k=8] train: 50%") || cts.IsCancellationRequested) return;
            before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            cts.Cancel(); // Ctrl-C while the second point trains; the first has finished
            after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        };
        Assert.Equal(130, _cli.Run(cts.Token, "run", "demo.yaml"));
        _cli.OnErrorLine = null;
        Assert.Contains("cancelled", _cli.Error);
        Assert.Matches(@"status\s+ok\s+killed", _cli.Out);

        // Folders: the finished point as usual; the interrupted one killed, with its completed stage and no train entry.
        var finished = Runner.Pipeline.Runs.RunFolder.Read(Path.Combine(_cli.Directory, "runs", "demo", "k=4"));
        Assert.Equal("finished", finished.Status);
        var dir = Path.Combine(_cli.Directory, "runs", "demo", "k=8");
        var stages = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "stages.json")))!;
        Assert.Equal(("killed", "cancelled (Ctrl-C)"), ((string?)stages["status"], (string?)stages["error"]));
        Assert.Equal([("capture", "cached"), ("train", "killed")], stages["stages"]!.AsArray().Select(s => ((string?)s!["name"], (string?)s["status"])));
        Assert.Contains("\"capture.value\"", File.ReadAllText(Path.Combine(dir, "metrics.json")));
        Assert.False(Directory.Exists(Path.Combine(dir, "stages", "train")));
        Assert.Single(Directory.GetDirectories(Path.Combine(_cli.Directory, ".runner", "cache", "train"))); // k=4's only
        Assert.Equal(0, _cli.Run("ls"));
        Assert.Matches(@"demo\s+k=8\s+\S+ \S+\s+0 computed, 1 cached; KILLED at train", _cli.Out);

        // MLflow (meta.yaml status: 3 FINISHED, 5 KILLED): k=4 FINISHED; k=8 KILLED, ended when cancelled; the parent KILLED.
        var experiment = Assert.Single(Directory.GetDirectories(Path.Combine(_cli.Directory, "mlruns")), d => Path.GetFileName(d) is not ("0" or ".trash"));
        string Named(string runName) => Directory.GetDirectories(experiment)
            .Single(r => File.Exists(Path.Combine(r, "tags", "mlflow.runName")) && File.ReadAllText(Path.Combine(r, "tags", "mlflow.runName")) == runName);
        Dictionary<string, string?> Meta(string runName) => Runner.Pipeline.Tracking.MlflowFileStore.ReadYaml(Path.Combine(Named(runName), "meta.yaml"))!;
        Assert.Equal(3, Directory.GetDirectories(experiment).Length);
        Assert.Equal("3", Meta("k=4")["status"]);
        var killed = Meta("k=8");
        Assert.Equal("5", killed["status"]);
        Assert.InRange(long.Parse(killed["end_time"]!, System.Globalization.CultureInfo.InvariantCulture), before, after);
        Assert.Equal("5", Meta("demo")["status"]);
        var killedDir = Named("k=8");
        Assert.Equal("cancelled (Ctrl-C)", File.ReadAllText(Path.Combine(killedDir, "tags", "runner.error")));
        Assert.Equal("killed", File.ReadAllText(Path.Combine(killedDir, "tags", "runner.stage.train.status")));

        // Resuming replaces the killed folder and logs its own runs, all FINISHED.
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal("finished", Runner.Pipeline.Runs.RunFolder.Read(dir).Status);
        var all = Directory.GetDirectories(experiment).Select(r => Runner.Pipeline.Tracking.MlflowFileStore.ReadYaml(Path.Combine(r, "meta.yaml"))!["status"]).ToList();
        Assert.Equal((6, 4, 2), (all.Count, all.Count(s => s == "3"), all.Count(s => s == "5")));
    }

    [Fact]
    public void A_stage_that_fails_with_an_unexpected_exception_shows_its_stack_trace()
    {
        _cli.Write("demo.yaml", Sweep);
        _cli.Train.FailWith = CaughtNullReference();
        Assert.Equal(1, _cli.Run("run", "demo.yaml"));
        Assert.Contains("error: stage train failed", _cli.Error);
        Assert.Contains("This looks like a bug in Runner", _cli.Error);
        Assert.Contains("System.NullReferenceException", _cli.Error);
        Assert.Contains("   at ", _cli.Error);
    }

    private static Exception CaughtNullReference()
    {
        try
        {
            string? s = null;
            return new Exception(s!.Length.ToString());
        }
        catch (NullReferenceException e)
        {
            return e;
        }
    }

    [Fact]
    public void A_bad_override_exits_2_before_any_stage_runs()
    {
        _cli.Write("demo.yaml", Sweep);
        Assert.Equal(2, _cli.Run("run", "demo.yaml", "--set", "sae.k=many"));
        Assert.Contains("--set sae.k=many: sae.k:", _cli.Error);
        Assert.Equal(0, _cli.Capture.Calls);
    }

    [Fact]
    public void A_missing_spec_exits_2_with_the_path()
    {
        Assert.Equal(2, _cli.Run("run", "nope.yaml"));
        Assert.Contains("nope.yaml", _cli.Error);
        Assert.DoesNotContain("   at ", _cli.Error);
    }

    [Fact]
    public async Task Cancelling_exits_130_keeps_no_entry_for_the_running_stage_and_a_rerun_completes()
    {
        _cli.Write("demo.yaml", Sweep);
        _cli.Train.Gate = new TaskCompletionSource();
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => _cli.Run(cts.Token, "run", "demo.yaml"), TestContext.Current.CancellationToken);
        await _cli.Train.Started.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        cts.Cancel();
        Assert.Equal(130, await run);
        Assert.Contains("cancelled", _cli.Error);
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, ".runner", "cache", "train")) &&
                     Directory.EnumerateDirectories(Path.Combine(_cli.Directory, ".runner", "cache", "train")).Any());

        _cli.Train.Gate = null;
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal(1, _cli.Capture.Calls); // resumed: the finished stage came from the cache
    }

    [Fact]
    public void Progress_goes_to_standard_error_as_plain_lines_when_not_a_terminal()
    {
        _cli.Write("demo.yaml", Sweep);
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Matches(@"\[k=4\] capture: computing, key \w{12}", _cli.Error);
        Assert.Matches(@"\[k=4\] train: 50% \(1/2 steps\)", _cli.Error);
        Assert.Matches(@"\[k=8\] train: done in \d+\.\d s", _cli.Error);
    }

    [Fact]
    public void In_a_terminal_progress_is_drawn_as_bars_and_the_run_completes()
    {
        _cli.Write("demo.yaml", Sweep);
        _cli.Interactive = true;
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Contains("[k=8] train: done in", _cli.Error);
        Assert.Contains("[k=8] capture: cached", _cli.Error);
        Assert.Contains("demo: 2 of 2 runs succeeded", _cli.Out);
    }
}
