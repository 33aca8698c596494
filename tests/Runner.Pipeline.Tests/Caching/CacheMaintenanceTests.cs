using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Tests.TestKit;

namespace Runner.Pipeline.Tests.Caching;

public sealed class CacheMaintenanceTests : IDisposable
{
    private readonly PipelineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static CountingStage[] Chain() => [new CountingStage("data"), new CountingStage("train", "data")];

    [Fact]
    public async Task List_reports_every_entry_with_its_size_and_times()
    {
        await _fx.RunAsync(Chain(), Points.Sweep("train.k", 4, 8));
        var entries = _fx.Cache().List();
        Assert.Equal(["data", "train", "train"], entries.Select(e => e.Stage));
        Assert.All(entries, e =>
        {
            Assert.Null(e.Problem);
            Assert.Equal(Directory.EnumerateFiles(e.Directory).Sum(f => new FileInfo(f).Length), e.SizeBytes);
            Assert.InRange(DateTimeOffset.UtcNow - e.Created, TimeSpan.Zero, TimeSpan.FromMinutes(1));
            Assert.True(e.LastUsed >= e.Created.AddSeconds(-1));
        });
    }

    [Fact]
    public async Task A_hit_updates_last_used()
    {
        await _fx.RunAsync(Chain(), [Points.Make()]);
        var dir = _fx.Entries("data")[0].Directory;
        Directory.SetLastWriteTimeUtc(dir, DateTime.UtcNow.AddDays(-10));
        await _fx.RunAsync(Chain(), [Points.Make()]);
        Assert.InRange(DateTimeOffset.UtcNow - _fx.Entries("data")[0].LastUsed, TimeSpan.Zero, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Remove_takes_a_stage_a_key_prefix_or_both()
    {
        await _fx.RunAsync(Chain(), Points.Sweep("train.k", 4, 8));
        var cache = _fx.Cache();
        var train = _fx.Entries("train");
        var removed = cache.Remove("train", train[0].Key[..6]);
        Assert.Equal([train[0].Key], removed.Select(e => e.Key));
        Assert.Equal([train[1].Key], _fx.Entries("train").Select(e => e.Key));

        Assert.Single(cache.Remove("data", null));
        Assert.Equal(["train"], cache.List().Select(e => e.Stage));

        var e = Assert.Throws<RunnerException>(() => cache.Remove(null, ""));
        Assert.Equal(2, e.ExitCode);
        Assert.Equal("name a stage, a key prefix or both to remove (use gc, or delete the cache folder, to remove everything)", e.Message);
    }

    [Fact]
    public async Task Gc_removes_entries_that_no_run_folder_references()
    {
        var report = await _fx.RunAsync(Chain(), Points.Sweep("train.k", 4, 8));
        Directory.Delete(report.Points[1].RunDirectory!, recursive: true);
        var gone = report.Points[1].Record!.Stages[1].Key;

        var gc = _fx.Cache().CollectGarbage(new GcOptions { RunsRoots = [_fx.RunsRoot] });

        Assert.Equal([gone], gc.Entries.Select(e => e.Key));
        Assert.Equal(gc.Entries[0].SizeBytes, gc.FreedBytes);
        Assert.Equal(["data", "train"], _fx.Cache().List().Select(e => e.Stage));
    }

    [Fact]
    public async Task Gc_with_an_age_removes_only_entries_unused_for_that_long()
    {
        await _fx.RunAsync(Chain(), Points.Sweep("train.k", 4, 8));
        var old = _fx.Entries("train")[0];
        Directory.SetLastWriteTimeUtc(old.Directory, DateTime.UtcNow.AddDays(-40));

        var dry = _fx.Cache().CollectGarbage(new GcOptions { UnusedFor = TimeSpan.FromDays(30), DryRun = true });
        Assert.Equal([old.Key], dry.Entries.Select(e => e.Key));
        Assert.Equal(3, _fx.Cache().List().Count);

        // Both criteria: an old entry that a run folder still references is kept.
        Assert.Empty(_fx.Cache().CollectGarbage(new GcOptions { UnusedFor = TimeSpan.FromDays(30), RunsRoots = [_fx.RunsRoot] }).Entries);
        Assert.Equal([old.Key], _fx.Cache().CollectGarbage(new GcOptions { UnusedFor = TimeSpan.FromDays(30) }).Entries.Select(e => e.Key));
        Assert.Equal(2, _fx.Cache().List().Count);
    }

    [Fact]
    public void Gc_without_criteria_keeps_entries_and_cleans_leftovers_of_dead_processes_only()
    {
        var root = _fx.CacheRoot;
        var liveKey = new string('1', 64);
        var cache = _fx.Cache();
        using var live = cache.BeginWrite("train", liveKey); // ours: alive
        Directory.CreateDirectory(Path.Combine(root, ".tmp", "dead", "out"));
        File.WriteAllText(Path.Combine(root, ".tmp", "dead", "owner.json"),
            new JsonObject { ["host"] = Environment.MachineName, ["pid"] = 4_999_999, ["process_start"] = "1" }.ToJsonString());
        Directory.CreateDirectory(Path.Combine(root, ".trash", "old-entry"));
        Directory.CreateDirectory(Path.Combine(root, ".locks"));
        File.WriteAllBytes(Path.Combine(root, ".locks", "x.dead.lock"), new LockHolder { Token = "t", Host = Environment.MachineName, Pid = 4_999_999 }.ToBytes());
        File.WriteAllBytes(Path.Combine(root, ".locks", "x.live.lock"), new LockHolder { Token = "t", Host = Environment.MachineName, Pid = Environment.ProcessId }.ToBytes());
        Directory.CreateDirectory(Path.Combine(root, "train", new string('2', 64))); // an entry without a manifest

        var gc = cache.CollectGarbage(new GcOptions());

        Assert.Equal(
            [Path.Combine(root, ".trash", "old-entry"), Path.Combine(root, ".tmp", "dead"), Path.Combine(root, ".locks", "x.dead.lock")],
            gc.Leftovers);
        Assert.Equal("manifest.json is missing", Assert.Single(gc.Entries).Problem);
        Assert.True(Directory.Exists(live.OutputDirectory));
        Assert.True(File.Exists(Path.Combine(root, ".locks", "x.live.lock")));
        Assert.False(Directory.Exists(Path.Combine(root, ".tmp", "dead")));
        Assert.Empty(cache.List());
    }
}
