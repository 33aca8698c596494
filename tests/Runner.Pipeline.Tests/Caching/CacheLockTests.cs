using Runner.Pipeline.Caching;
using Runner.Pipeline.Tests.TestKit;

namespace Runner.Pipeline.Tests.Caching;

public sealed class CacheLockTests : IDisposable
{
    private static readonly LockOptions Fast = new() { Poll = TimeSpan.FromMilliseconds(10), Heartbeat = TimeSpan.FromMilliseconds(50), StaleAfter = TimeSpan.FromSeconds(30) };
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private string LockFile => _temp["x.lock"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private void WriteForeignLock(string host, int pid) =>
        File.WriteAllBytes(LockFile, new LockHolder { Token = "foreign", Host = host, Pid = pid, Acquired = DateTimeOffset.UtcNow }.ToBytes());

    [Fact]
    public async Task A_second_acquirer_waits_until_the_holder_releases_and_is_told_who_holds_it()
    {
        var first = await CacheLock.AcquireAsync(LockFile, Fast, null, Ct);
        var seen = new List<LockHolder>();
        var second = CacheLock.AcquireAsync(LockFile, Fast, seen.Add, Ct);
        await Task.Delay(150, Ct);
        Assert.False(second.IsCompleted);
        var holder = Assert.Single(seen);
        Assert.Equal((Environment.ProcessId, Environment.MachineName), (holder.Pid, holder.Host));
        Assert.Equal($"pid {Environment.ProcessId} on host {Environment.MachineName}", holder.ToString());

        first.Dispose();
        using var got = await second.WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.True(File.Exists(LockFile));
        got.Dispose();
        Assert.False(File.Exists(LockFile));
    }

    [Fact]
    public async Task A_lock_left_by_a_dead_process_on_this_host_is_taken_over_at_once()
    {
        WriteForeignLock(Environment.MachineName, 4_999_999); // above Linux's pid_max: never alive
        var waited = new List<LockHolder>();
        using var got = await CacheLock.AcquireAsync(LockFile, Fast, waited.Add, Ct).WaitAsync(TimeSpan.FromSeconds(2), Ct);
        Assert.Empty(waited);
        Assert.Empty(Directory.EnumerateFiles(_temp.Path, "*.stale.*"));
    }

    [Fact]
    public async Task A_lock_from_another_host_that_stops_changing_is_taken_over_after_the_stale_time()
    {
        WriteForeignLock("some-other-host", Environment.ProcessId);
        var options = Fast with { StaleAfter = TimeSpan.FromMilliseconds(300) };
        var waited = new List<LockHolder>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var got = await CacheLock.AcquireAsync(LockFile, options, waited.Add, Ct).WaitAsync(TimeSpan.FromSeconds(5), Ct);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(290), TimeSpan.FromSeconds(4));
        Assert.Equal("some-other-host", Assert.Single(waited).Host);
    }

    [Fact]
    public async Task A_holder_that_keeps_its_heartbeat_is_not_taken_over()
    {
        using var holder = await CacheLock.AcquireAsync(LockFile, Fast, null, Ct);
        // A waiter with a stale time of a few heartbeats: the holder's rewrites keep it waiting.
        var waiter = CacheLock.AcquireAsync(LockFile, Fast with { StaleAfter = TimeSpan.FromMilliseconds(500) }, null, Ct);
        await Task.Delay(1000, Ct);
        Assert.False(waiter.IsCompleted);
        holder.Dispose();
        (await waiter.WaitAsync(TimeSpan.FromSeconds(5), Ct)).Dispose();
    }

    [Fact]
    public async Task A_holder_whose_lock_was_taken_over_notices_and_leaves_the_new_lock_alone()
    {
        var holder = await CacheLock.AcquireAsync(LockFile, Fast, null, Ct);
        File.Delete(LockFile);
        WriteForeignLock("some-other-host", 1);
        for (var i = 0; i < 100 && !holder.Lost; i++) await Task.Delay(10, Ct);
        Assert.True(holder.Lost);
        holder.Dispose();
        Assert.Equal("foreign", LockHolder.TryParse(File.ReadAllBytes(LockFile))!.Token);
    }

    [Fact]
    public async Task Cancelling_a_wait_throws_and_leaves_the_holders_lock()
    {
        using var holder = await CacheLock.AcquireAsync(LockFile, Fast, null, Ct);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => CacheLock.AcquireAsync(LockFile, Fast, null, cts.Token));
        Assert.Equal(Environment.ProcessId, LockHolder.TryParse(File.ReadAllBytes(LockFile))!.Pid);
    }

    [Fact]
    public void An_unreadable_lock_file_is_stale_only_after_it_stopped_changing_for_the_stale_time()
    {
        Assert.False(CacheLock.IsStale(null, TimeSpan.FromSeconds(1), Fast));
        Assert.True(CacheLock.IsStale(null, TimeSpan.FromSeconds(30), Fast));
        Assert.False(CacheLock.IsStale(new LockHolder { Token = "t", Host = Environment.MachineName, Pid = Environment.ProcessId }, TimeSpan.Zero, Fast));
        Assert.True(CacheLock.IsStale(new LockHolder { Token = "t", Host = Environment.MachineName, Pid = 4_999_999 }, TimeSpan.Zero, Fast));
    }
}
