using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Stages;
using Runner.Pipeline.Tests.TestKit;

namespace Runner.Pipeline.Tests.Stages;

public sealed class PipelineExecutorTests : IDisposable
{
    private readonly PipelineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static CountingStage[] Chain() =>
    [
        new CountingStage("data"),
        new CountingStage("train", "data") { ExcludedFields = ["train.log_every"] },
        new CountingStage("evaluate", "train"),
    ];

    [Fact]
    public async Task Cache_hit_skips_stage_execution()
    {
        var stages = Chain();
        var first = await _fx.RunAsync(stages, [Points.Make()]);
        Assert.All(first.Points[0].Record!.Stages, s => Assert.Equal(StageStatus.Computed, s.Status));

        var again = Chain();
        var second = await _fx.RunAsync(again, [Points.Make()]);
        Assert.All(again, s => Assert.Equal(0, s.Calls));
        Assert.All(second.Points[0].Record!.Stages, s => Assert.Equal(StageStatus.Cached, s.Status));
        Assert.Equal(first.Points[0].Record!.Metrics, second.Points[0].Record!.Metrics);
    }

    [Fact]
    public async Task Changing_an_excluded_field_reuses_the_cache_and_an_included_one_recomputes_downstream()
    {
        await _fx.RunAsync(Chain(), [Points.Make()]);

        var excluded = Chain();
        await _fx.RunAsync(excluded, [Points.Make(Points.With(null, "train.log_every", 99))]);
        Assert.Equal([0, 0, 0], excluded.Select(s => s.Calls));

        var included = Chain();
        await _fx.RunAsync(included, [Points.Make(Points.With(null, "train.k", 16))]);
        Assert.Equal([0, 1, 1], included.Select(s => s.Calls));
    }

    [Theory]
    [InlineData("edit-manifest", "checksum mismatch")]
    [InlineData("truncate-file", "file 'out.txt' has 3 bytes")]
    [InlineData("delete-file", "file 'out.txt' is missing")]
    [InlineData("delete-manifest", "manifest.json is missing")]
    public async Task Corrupt_entry_is_a_miss_with_a_warning_and_is_recomputed(string damage, string reason)
    {
        await _fx.RunAsync(Chain(), [Points.Make()]);
        var entry = Assert.Single(_fx.Entries("train")).Directory;
        switch (damage)
        {
            case "edit-manifest":
                var manifest = Path.Combine(entry, "manifest.json");
                File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"version\": 1", "\"version\": 7"));
                break;
            case "truncate-file":
                File.WriteAllText(Path.Combine(entry, "out.txt"), "abc");
                break;
            case "delete-file":
                File.Delete(Path.Combine(entry, "out.txt"));
                break;
            case "delete-manifest":
                File.Delete(Path.Combine(entry, "manifest.json"));
                break;
        }

        var stages = Chain();
        var report = await _fx.RunAsync(stages, [Points.Make()]);

        Assert.Equal([0, 1, 0], stages.Select(s => s.Calls)); // same output, so evaluate's key is unchanged
        var warning = Assert.Single(_fx.Events.Warnings);
        Assert.StartsWith("cache entry train/", warning);
        Assert.Contains(reason, warning);
        Assert.EndsWith("it was removed and will be recomputed", warning);
        Assert.Equal(CacheProbeStatus.Valid, _fx.Cache().Probe("train", report.Points[0].Record!.Stages[1].Key).Status);
    }

    [Fact]
    public async Task A_sweep_of_three_points_computes_a_shared_upstream_stage_once()
    {
        var stages = Chain();
        var points = Points.Sweep("train.k", 4, 8, 16);
        var report = await _fx.RunAsync(stages, points);

        Assert.Equal([1, 3, 3], stages.Select(s => s.Calls));
        Assert.Single(_fx.Entries("data"));
        Assert.Equal(3, _fx.Entries("train").Count);
        Assert.Equal([StageStatus.Computed, StageStatus.Cached, StageStatus.Cached], report.Points.Select(p => p.Record!.Stages[0].Status));
        Assert.Equal(["k=4", "k=8", "k=16"], report.Points.Select(p => Path.GetFileName(p.RunDirectory!)));
    }

    [Fact]
    public async Task Points_run_in_parallel_still_compute_a_shared_stage_once()
    {
        var gate = new TaskCompletionSource();
        var stages = Chain();
        stages[0] = new CountingStage("data") { Body = async (_, ct) => await gate.Task.WaitAsync(ct) };
        var run = _fx.RunAsync(stages, Points.Sweep("train.k", 4, 8, 16), o => o with { MaxParallelPoints = 3 });
        await Task.Delay(100, TestContext.Current.CancellationToken);
        gate.SetResult();
        await run;
        Assert.Equal([1, 3, 3], stages.Select(s => s.Calls));
    }

    [Fact]
    public async Task Force_recomputes_the_stage_and_its_downstream_only()
    {
        await _fx.RunAsync(Chain(), [Points.Make()]);
        var stages = Chain();
        var report = await _fx.RunAsync(stages, [Points.Make()], o => o with { Force = ["train"] });

        Assert.Equal([0, 1, 1], stages.Select(s => s.Calls));
        Assert.Equal([StageStatus.Cached, StageStatus.Computed, StageStatus.Computed], report.Points[0].Record!.Stages.Select(s => s.Status));
        Assert.Single(_fx.Entries("train")); // replaced, not duplicated
        Assert.All(_fx.Events.Of<StageStarted>().TakeLast(2), s => Assert.True(s.Forced));
    }

    [Fact]
    public async Task Force_in_a_sweep_recomputes_a_shared_stage_once()
    {
        await _fx.RunAsync(Chain(), Points.Sweep("train.k", 4, 8));
        var stages = Chain();
        await _fx.RunAsync(stages, Points.Sweep("train.k", 4, 8), o => o with { Force = ["data"] });
        Assert.Equal([1, 2, 2], stages.Select(s => s.Calls));
    }

    [Fact]
    public async Task No_cache_recomputes_every_stage_and_replaces_the_entries()
    {
        await _fx.RunAsync(Chain(), [Points.Make()]);
        var before = _fx.Cache().List().Select(e => e.Created).ToList();
        var stages = Chain();
        await _fx.RunAsync(stages, [Points.Make()], o => o with { NoCache = true });

        Assert.Equal([1, 1, 1], stages.Select(s => s.Calls));
        var after = _fx.Cache().List();
        Assert.Equal(3, after.Count);
        Assert.All(after.Zip(before), p => Assert.True(p.First.Created > p.Second));
    }

    [Fact]
    public async Task Dry_run_reports_cached_and_missing_stages_and_runs_nothing()
    {
        await _fx.RunAsync(Chain(), [Points.Make(Points.With(null, "train.k", 4))]);
        var stages = Chain();
        var executor = _fx.Executor(stages);
        var entriesBefore = _fx.Cache().List();

        var plan = executor.Plan(Points.Sweep("train.k", 4, 8, 16));

        Assert.Equal(0, stages.Sum(s => s.Calls));
        Assert.Equal(entriesBefore, _fx.Cache().List());
        Assert.False(Directory.Exists(Path.Combine(_fx.RunsRoot, "exp", "k=8")));
        Assert.Equal(
            [
                "data Reuse cached", "train Reuse cached", "evaluate Reuse cached",
                "data Reuse cached", "train Compute missing", "evaluate Compute missing",
                "data Reuse cached", "train Compute missing", "evaluate Compute missing",
            ],
            plan.Points.SelectMany(p => p.Stages).Select(s => $"{s.Stage} {s.Action} {(s.Cached ? "cached" : "missing")}"));
        Assert.Equal(4, plan.ComputeCount);

        // The keys the plan shows are the keys a run uses.
        var report = await executor.RunAsync(Points.Sweep("train.k", 4, 8, 16), TestContext.Current.CancellationToken);
        Assert.Equal(plan.Points.SelectMany(p => p.Stages.Select(s => s.Key)), report.Points.SelectMany(p => p.Record!.Stages.Select(s => s.Key)));
    }

    [Fact]
    public async Task Dry_run_marks_forced_and_shared_stages()
    {
        await _fx.RunAsync(Chain(), Points.Sweep("train.k", 4, 8));
        var plan = _fx.Executor(Chain(), o => o with { Force = ["data"] }).Plan(Points.Sweep("train.k", 4, 8));
        Assert.Equal(
            ["data Compute forced", "train Compute forced", "evaluate Compute forced", "data Shared forced", "train Compute forced", "evaluate Compute forced"],
            plan.Points.SelectMany(p => p.Stages).Select(s => $"{s.Stage} {s.Action} {(s.Forced ? "forced" : "-")}"));
        Assert.All(plan.Points.SelectMany(p => p.Stages), s => Assert.True(s.Cached));
    }

    [Fact]
    public async Task Cancellation_leaves_no_entry_and_a_rerun_completes()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var entered = new TaskCompletionSource();
        var stages = Chain();
        stages[1] = new CountingStage("train", "data")
        {
            Body = async (ctx, ct) =>
            {
                await File.WriteAllTextAsync(Path.Combine(ctx.OutputDirectory, "checkpoint.bin"), "partial", ct);
                entered.TrySetResult();
                while (true)
                {
                    ct.ThrowIfCancellationRequested(); // the inner loop's per-step check
                    await Task.Delay(5, CancellationToken.None);
                }
            },
        };
        var run = _fx.Executor(stages).RunAsync([Points.Make()], cts.Token);
        await entered.Task.WaitAsync(TestContext.Current.CancellationToken);
        cts.Cancel();
        var cancelled = await Assert.ThrowsAsync<PipelineCancelledException>(() => run);

        Assert.Single(_fx.Entries("data"));
        Assert.Empty(_fx.Entries("train"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fx.CacheRoot, ".tmp")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fx.CacheRoot, ".locks")));
        // The interrupted point's run folder records it as killed: the completed stage, then the interrupted one (no entry).
        var point = Assert.Single(cancelled.Report.Points);
        Assert.True(point.Killed);
        var killed = RunFolder.Read(point.RunDirectory!);
        Assert.Equal(("killed", RunRecord.CancelledError), (killed.Status, killed.Error));
        Assert.Equal([("data", StageStatus.Computed), ("train", StageStatus.Killed)], killed.Stages.Select(s => (s.Name, s.Status)));
        Assert.Equal(cancelled.CancelledAt.ToUnixTimeMilliseconds(), killed.Finished.ToUnixTimeMilliseconds());
        Assert.Equal(["data"], Directory.EnumerateFileSystemEntries(Path.Combine(point.RunDirectory!, "stages")).Select(Path.GetFileName));

        var rerun = Chain();
        var report = await _fx.RunAsync(rerun, [Points.Make()]);
        Assert.Equal([0, 1, 1], rerun.Select(s => s.Calls));
        Assert.Equal([StageStatus.Cached, StageStatus.Computed, StageStatus.Computed], report.Points[0].Record!.Stages.Select(s => s.Status));
    }

    [Fact]
    public async Task Stage_failure_names_the_stage_and_point_keeps_other_entries_and_leaves_none_for_itself()
    {
        var stages = Chain();
        stages[1] = new CountingStage("train", "data") { Body = (_, _) => throw new InvalidDataException("shard 3 is empty") };
        var report = await _fx.Executor(stages).RunAsync(Points.Sweep("train.k", 4, 8), TestContext.Current.CancellationToken);

        Assert.False(report.Succeeded);
        var error = report.Points[0].Error!;
        Assert.Equal("stage train failed (point 0, k=4): shard 3 is empty", error.Message);
        Assert.Equal(1, error.ExitCode);
        Assert.IsType<RunnerException>(error, exactMatch: false);
        Assert.Equal(("train", 0, "k=4"), (error.Stage, error.PointIndex, error.RunName));
        Assert.True(report.Points[1].Skipped);
        var thrown = Assert.Throws<StageFailedException>(report.ThrowIfFailed);
        Assert.Same(error, thrown);

        Assert.Single(_fx.Entries("data"));
        Assert.Empty(_fx.Entries("train"));
        Assert.Empty(_fx.Entries("evaluate"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fx.CacheRoot, ".tmp")));

        // The failed point's run folder records the failure: the completed stage, then the failed one (no entry).
        Assert.Equal(["k=4"], Directory.EnumerateFileSystemEntries(Path.Combine(_fx.RunsRoot, "exp")).Select(Path.GetFileName)); // no temp folders
        var dir = report.Points[0].RunDirectory!;
        Assert.Equal(Path.Combine(_fx.RunsRoot, "exp", "k=4"), dir);
        var record = RunFolder.Read(dir);
        Assert.Equal(error.Message, record.Error);
        Assert.Equal([("data", StageStatus.Computed, (string?)null), ("train", StageStatus.Failed, "shard 3 is empty")],
            record.Stages.Select(s => (s.Name, s.Status, s.Error)));
        Assert.Equal(report.Points[0].Record!.Stages[1].Key, record.Stages[1].Key);
        Assert.Equal(["data.calls", "data.chars"], record.Metrics.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["data"], Directory.EnumerateFileSystemEntries(Path.Combine(dir, "stages")).Select(Path.GetFileName));
        Assert.Null(report.Points[1].RunDirectory);
    }

    [Fact]
    public async Task Keep_going_runs_the_other_points_after_a_failure()
    {
        var stages = Chain();
        stages[1] = new CountingStage("train", "data")
        {
            Body = (ctx, _) => (int)ctx.Slice!["train"]!["k"]! == 4 ? throw new InvalidOperationException("boom") : Task.CompletedTask,
        };
        var report = await _fx.Executor(stages, o => o with { KeepGoing = true }).RunAsync(Points.Sweep("train.k", 4, 8), TestContext.Current.CancellationToken);
        Assert.NotNull(report.Points[0].Error);
        Assert.NotNull(report.Points[1].RunDirectory);
        Assert.Single(_fx.Entries("train"));
    }

    [Fact]
    public async Task Only_the_selected_point_runs()
    {
        var stages = Chain();
        var report = await _fx.RunAsync(stages, Points.Sweep("train.k", 4, 8, 16), o => o with { Point = 2 });
        var point = Assert.Single(report.Points);
        Assert.Equal(2, point.Point.Index);
        Assert.Equal([1, 1, 1], stages.Select(s => s.Calls));
        Assert.Equal(["k=16"], Directory.EnumerateDirectories(Path.Combine(_fx.RunsRoot, "exp")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Selecting_a_point_that_does_not_exist_is_a_usage_error()
    {
        var e = await Assert.ThrowsAsync<RunnerException>(() => _fx.RunAsync(Chain(), Points.Sweep("train.k", 4, 8, 16), o => o with { Point = 3 }));
        Assert.Equal(2, e.ExitCode);
        Assert.Equal("--point 3: the spec has 3 points (indices 0 to 2)", e.Message);
    }

    [Fact]
    public async Task A_stage_that_does_not_apply_is_skipped_and_left_out_of_its_dependents_inputs()
    {
        var pretrain = new CountingStage("pretrain") { Applies = p => (string?)p.Json["data"]!["corpus"] == "toy" };
        var capture = new CountingStage("data", "pretrain");
        var report = await _fx.RunAsync([pretrain, capture], [Points.Make()]);
        Assert.Equal(0, pretrain.Calls);
        Assert.Equal(["data"], report.Points[0].Record!.Stages.Select(s => s.Name));
        var entry = Assert.Single(_fx.Entries("data"));
        Assert.Empty(CacheManifest.Parse(File.ReadAllText(Path.Combine(entry.Directory, "manifest.json"))).Inputs);

        var toy = await _fx.RunAsync([pretrain, capture], [Points.Make(Points.With(null, "data.corpus", "toy"))]);
        Assert.Equal(["pretrain", "data"], toy.Points[0].Record!.Stages.Select(s => s.Name));
    }

    [Fact]
    public async Task Stages_see_their_inputs_and_report_progress_stamped_with_point_and_stage()
    {
        StageContext? seen = null;
        var stages = Chain();
        stages[1] = new CountingStage("train", "data")
        {
            Body = (ctx, _) =>
            {
                seen = ctx;
                ctx.Report(5, 10, "steps", "loss 0.5");
                ctx.Log(MessageLevel.Info, "hello");
                return Task.CompletedTask;
            },
        };
        await _fx.RunAsync(stages, Points.Sweep("train.k", 4));

        Assert.Equal(["data"], seen!.Inputs.Keys);
        Assert.Equal(Assert.Single(_fx.Entries("data")).Directory, seen.Input("data").Directory);
        Assert.Equal(1, seen.Input("data").Metrics["calls"]);
        Assert.Equal("stage train needs the output of nope, which did not run for point 0 (k=4)", Assert.Throws<RunnerException>(() => seen.Input("nope")).Message);
        var progress = Assert.Single(_fx.Events.Of<StageProgress>());
        Assert.Equal(new StageProgress { PointIndex = 0, RunName = "k=4", Stage = "train", Done = 5, Total = 10, Unit = "steps", Message = "loss 0.5" }, progress);
        Assert.Contains(_fx.Events.Of<PipelineMessage>(), m => m is { Text: "hello", Stage: "train", Level: MessageLevel.Info });
        Assert.Equal(3, _fx.Events.Of<StageFinished>().Count);
    }

    [Fact]
    public async Task Two_executors_in_one_process_wait_for_each_other_and_compute_once()
    {
        var entered = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var first = new CountingStage("data") { Body = async (_, ct) => { entered.SetResult(); await release.Task.WaitAsync(ct); } };
        var second = new CountingStage("data");
        var run1 = _fx.RunAsync([first], [Points.Make()]);
        await entered.Task.WaitAsync(TestContext.Current.CancellationToken);
        var run2 = _fx.RunAsync([second], [Points.Make()]);
        await Task.Delay(100, TestContext.Current.CancellationToken);
        var waiting = Assert.Single(_fx.Events.Of<StageWaiting>());
        Assert.Equal($"waiting for data (held by pid {Environment.ProcessId} on host {Environment.MachineName})", waiting.Message);
        release.SetResult();
        await Task.WhenAll(run1, run2);
        Assert.Equal((1, 0), (first.Calls, second.Calls));
        Assert.Equal(StageStatus.Cached, (await run2).Points[0].Record!.Stages[0].Status);
    }
}
