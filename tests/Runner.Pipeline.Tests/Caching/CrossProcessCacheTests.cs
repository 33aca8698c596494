using System.Diagnostics;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Tests.TestKit;

namespace Runner.Pipeline.Tests.Caching;

/// <summary>Real processes sharing one cache (Runner.Pipeline.TestHost runs one point of a stage called "shared").</summary>
public sealed class CrossProcessCacheTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string[] Args(params string[] more) => ["--cache", _temp["cache"], "--runs", _temp["runs"], "--record", _temp["record"], .. more];

    private int Computations => Directory.Exists(_temp["record"]) ? Directory.GetFiles(_temp["record"]).Length : 0;

    private StageCache Cache => new(new CacheOptions { Root = _temp["cache"] });

    [Fact]
    public async Task Four_processes_compute_a_shared_stage_once()
    {
        var go = _temp["go"];
        var hosts = Enumerable.Range(0, 4).Select(_ => HostProcess.Start(Args("--sleep-ms", "1000", "--go", go))).ToList();
        try
        {
            // Release all four together once they are up, so they really overlap inside the stage.
            var clock = Stopwatch.StartNew();
            while (Directory.GetFiles(_temp.Path, "go.ready.*").Length < 4 && clock.Elapsed < Patience)
                await Task.Delay(20, TestContext.Current.CancellationToken);
            File.WriteAllText(go, "");

            var results = await Task.WhenAll(hosts.Select(h => h.WaitAsync(Patience)));

            Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Output));
            Assert.Equal(1, Computations);
            Assert.Equal(1, results.Count(r => r.Output.Contains("status shared computed")));
            Assert.Equal(3, results.Count(r => r.Output.Contains("status shared cached")));
            Assert.Contains(results, r => r.Output.Contains("waiting for shared (held by pid "));
            var entry = Assert.Single(Cache.List());
            Assert.Equal(CacheProbeStatus.Valid, Cache.Probe("shared", entry.Key).Status);
            Assert.Empty(Directory.GetFiles(Path.Combine(_temp["cache"], ".locks")));
        }
        finally
        {
            foreach (var h in hosts) h.Dispose();
        }
    }

    [Fact]
    public async Task A_process_killed_mid_stage_leaves_nothing_trusted_and_the_next_run_completes()
    {
        var marker = _temp["inside-stage"];
        using (var doomed = HostProcess.Start(Args("--sleep-ms", "60000", "--marker", marker)))
        {
            var clock = Stopwatch.StartNew();
            while (!File.Exists(marker) && clock.Elapsed < Patience) await Task.Delay(20, TestContext.Current.CancellationToken);
            Assert.True(File.Exists(marker), "the host never entered the stage");
            await doomed.KillAsync();
        }

        // Nothing published; the dead holder's lock file and half-written output are still there.
        Assert.Empty(Cache.List());
        Assert.Single(Directory.GetFiles(Path.Combine(_temp["cache"], ".locks"), "*.lock"));
        var halfWritten = Assert.Single(Directory.GetDirectories(Path.Combine(_temp["cache"], ".tmp")));
        Assert.True(File.Exists(Path.Combine(halfWritten, "out", "partial.bin")));

        // The host's locks go stale after 30 s of silence; finishing well before that shows the dead
        // pid was recognised at once.
        var rerun = Stopwatch.StartNew();
        using var next = HostProcess.Start(Args("--sleep-ms", "0"));
        var (exitCode, output) = await next.WaitAsync(Patience);
        Assert.True(exitCode == 0, output);
        Assert.InRange(rerun.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        Assert.Contains("status shared computed", output);
        Assert.DoesNotContain("waiting", output);
        Assert.Equal(2, Computations);

        var entry = Assert.Single(Cache.List());
        Assert.Equal(CacheProbeStatus.Valid, Cache.Probe("shared", entry.Key).Status);
        Assert.False(File.Exists(Path.Combine(entry.Directory, "partial.bin")));
        Assert.Empty(Directory.GetFiles(Path.Combine(_temp["cache"], ".locks")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(_temp["cache"], ".tmp"))); // the dead run's temp output was cleaned up
    }
}
