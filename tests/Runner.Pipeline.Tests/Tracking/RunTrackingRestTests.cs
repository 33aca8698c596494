using System.Text;
using Runner.Pipeline.Tests.TestKit;
using Runner.Pipeline.Tracking;

namespace Runner.Pipeline.Tests.Tracking;

public sealed class RunTrackingRestTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_sweep_is_a_parent_run_with_one_child_per_point_and_every_record_arrives_once()
    {
        using var temp = new TempFolder();
        await using var server = new MlflowTestServer { ExpectedAuthorization = "Bearer s3cret" };
        var dirs = new[] { 4, 8, 16 }.Select(k => FakeRunFolder.Write(temp["runs"], "exp", $"k={k}", k)).ToList();
        string summary;
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url, new Dictionary<string, string> { ["MLFLOW_TRACKING_TOKEN"] = "s3cret" }))
        {
            var sweep = tracking.StartSweep("exp-sweep", new Dictionary<string, string> { ["runner.points"] = "3" });
            foreach (var dir in dirs) tracking.Log(dir, "FINISHED", sweep);
            summary = await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken);
        }
        Assert.Equal($"mlflow: 3 runs logged to {server.Url} (experiment exp)", summary);
        Assert.Equal(0, server.Unauthorized);
        var experiment = Assert.Single(server.Experiments);
        Assert.Equal("exp", experiment.Value.Name);
        var parent = Assert.Single(server.Runs.Values, r => r.Name == "exp-sweep");
        Assert.Equal("FINISHED", parent.Status);
        Assert.NotNull(parent.EndTime);
        Assert.Equal("3", parent.Tags["runner.points"]);
        Assert.False(parent.Tags.ContainsKey("mlflow.parentRunId"));
        foreach (var (dir, k) in dirs.Zip(new[] { 4, 8, 16 }))
            TrackingAssert.ServerHasRunOnce(server, dir, $"k={k}", k, parentId: parent.Id);
        Assert.Equal(4, server.Runs.Count);
    }

    [Fact]
    public async Task Basic_credentials_from_the_environment_are_sent_and_wrong_ones_are_reported_as_rejected()
    {
        using var temp = new TempFolder();
        await using var server = new MlflowTestServer { ExpectedAuthorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("bob:pw")) };
        var ok = FakeRunFolder.Write(temp["runs"], "exp", "good");
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url, new Dictionary<string, string> { ["MLFLOW_TRACKING_USERNAME"] = "bob", ["MLFLOW_TRACKING_PASSWORD"] = "pw" }))
        {
            tracking.Log(ok, "FINISHED", null);
            Assert.StartsWith("mlflow: 1 run logged", await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }
        TrackingAssert.ServerHasRunOnce(server, ok, "good");

        var bad = FakeRunFolder.Write(temp["runs"], "exp", "bad");
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url, new Dictionary<string, string> { ["MLFLOW_TRACKING_USERNAME"] = "bob", ["MLFLOW_TRACKING_PASSWORD"] = "nope" }))
        {
            tracking.Log(bad, "FINISHED", null);
            var summary = await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken);
            Assert.Contains("1 run rejected: experiments/get-by-name: HTTP 401 UNAUTHENTICATED", summary, StringComparison.Ordinal);
            Assert.Contains("MLFLOW_TRACKING_USERNAME", summary, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(server.Runs.Values, r => r.Name == "bad");
        Assert.Contains("\"rejected\": true", File.ReadAllText(Path.Combine(bad, ".tracking", "state.json")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_server_down_runs_are_spooled_and_the_next_run_replays_them_exactly_once()
    {
        using var temp = new TempFolder();
        await using var server = new MlflowTestServer();
        await server.StopAsync();
        var first = new[] { FakeRunFolder.Write(temp["runs"], "exp", "a", 4), FakeRunFolder.Write(temp["runs"], "exp", "b", 8) };
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url))
        {
            var sweep = tracking.StartSweep("sweep", new Dictionary<string, string>());
            foreach (var dir in first) tracking.Log(dir, "FINISHED", sweep);
            Assert.Equal("mlflow: server unreachable, 2 runs spooled; `runner tracking sync` replays them",
                await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken));
        }
        foreach (var dir in first) Assert.Contains("\"complete\": false", File.ReadAllText(Path.Combine(dir, ".tracking", "state.json")), StringComparison.Ordinal);

        server.Start();
        var third = FakeRunFolder.Write(temp["runs"], "exp", "c", 16);
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url))
        {
            tracking.Log(third, "FINISHED", null);
            Assert.Equal($"mlflow: 1 run logged to {server.Url} (experiment exp); 2 earlier spooled runs replayed",
                await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken));
        }
        var parent = Assert.Single(server.Runs.Values, r => r.Name == "sweep");
        Assert.Equal("FINISHED", parent.Status); // its end was recorded in the sweep file before the flush gave up
        TrackingAssert.ServerHasRunOnce(server, first[0], "a", 4, parentId: parent.Id);
        TrackingAssert.ServerHasRunOnce(server, first[1], "b", 8, parentId: parent.Id);
        TrackingAssert.ServerHasRunOnce(server, third, "c", 16);
        Assert.Equal(4, server.Runs.Count);
    }

    [Fact]
    public async Task Injected_500s_before_and_after_applying_lose_and_duplicate_nothing()
    {
        using var temp = new TempFolder();
        await using var server = new MlflowTestServer
        {
            // Every third request fails: alternately before and after the server applied it.
            Faults = (_, n) => n % 3 != 0 ? Fault.None : new Fault(n % 2 == 0 ? FaultKind.Error500After : FaultKind.Error500Before, TimeSpan.Zero),
        };
        var dirs = new[] { 4, 8 }.Select(k => FakeRunFolder.Write(temp["runs"], "exp", $"k={k}", k, curvePoints: 5)).ToList();
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url))
        {
            var sweep = tracking.StartSweep("sweep", new Dictionary<string, string>());
            foreach (var dir in dirs) tracking.Log(dir, "FINISHED", sweep);
            Assert.Equal($"mlflow: 2 runs logged to {server.Url} (experiment exp)", await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken));
        }
        var parent = Assert.Single(server.Runs.Values, r => r.Name == "sweep");
        TrackingAssert.ServerHasRunOnce(server, dirs[0], "k=4", 4, curvePoints: 5, parentId: parent.Id);
        TrackingAssert.ServerHasRunOnce(server, dirs[1], "k=8", 8, curvePoints: 5, parentId: parent.Id);
        Assert.Single(server.Experiments);
        Assert.Contains(server.Log, r => r.Endpoint == "metrics/get-history"); // an uncertain batch was reconciled
    }

    [Fact]
    public async Task Replies_slower_than_the_timeout_are_reconciled_instead_of_repeated()
    {
        using var temp = new TempFolder();
        var slowed = new HashSet<string>();
        await using var server = new MlflowTestServer();
        // The first create and the first two log-batches are applied, but answered after the client gave up.
        server.Faults = (endpoint, _) =>
        {
            lock (slowed)
            {
                var key = endpoint == "runs/log-batch" ? endpoint + slowed.Count(s => s.StartsWith("runs/log-batch", StringComparison.Ordinal)) : endpoint;
                return endpoint is "runs/create" or "runs/log-batch" && slowed.Count(s => s.StartsWith(endpoint, StringComparison.Ordinal)) < (endpoint == "runs/create" ? 1 : 3) && slowed.Add(key)
                    ? new Fault(FaultKind.None, TimeSpan.FromMilliseconds(900)) : Fault.None;
            }
        };
        var dir = FakeRunFolder.Write(temp["runs"], "exp", "slow");
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url))
        {
            tracking.Log(dir, "FINISHED", null);
            Assert.Equal($"mlflow: 1 run logged to {server.Url} (experiment exp)", await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken));
        }
        TrackingAssert.ServerHasRunOnce(server, dir, "slow");
        Assert.Contains(server.Log, r => r.Endpoint == "runs/search");
    }

    [Fact]
    public async Task A_flush_that_times_out_leaves_the_rest_spooled_and_sync_sends_it_exactly_once()
    {
        using var temp = new TempFolder();
        await using var server = new MlflowTestServer();
        var slow = true;
        server.Faults = (_, _) => slow ? new Fault(FaultKind.None, TimeSpan.FromMilliseconds(300)) : Fault.None;
        var dirs = new[] { FakeRunFolder.Write(temp["runs"], "exp", "a"), FakeRunFolder.Write(temp["runs"], "exp", "b") };
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url, options: TrackingAssert.Fast with { RequestTimeout = TimeSpan.FromSeconds(5) }))
        {
            foreach (var d in dirs) tracking.Log(d, "FINISHED", null);
            var summary = await tracking.FlushAsync(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
            Assert.Equal("mlflow: 2 runs spooled (not sent within 0.5 s); `runner tracking sync` replays them", summary);
        }
        slow = false;
        var result = await RunTracking.SyncAsync(temp["runs"], temp.Path, n => n == "LOGNAME" ? "alice" : null, TestContext.Current.CancellationToken);
        Assert.Equal("mlflow: 2 spooled runs logged", result.Summary);
        Assert.Empty(result.Pending);
        TrackingAssert.ServerHasRunOnce(server, dirs[0], "a");
        TrackingAssert.ServerHasRunOnce(server, dirs[1], "b");
        var again = await RunTracking.SyncAsync(temp["runs"], temp.Path, _ => null, TestContext.Current.CancellationToken);
        Assert.StartsWith("mlflow: nothing spooled", again.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Batches_respect_MLflow_limits_and_a_long_param_goes_to_an_artifact()
    {
        using var temp = new TempFolder();
        await using var server = new MlflowTestServer();
        var longValue = new string('x', 7000);
        var dir = FakeRunFolder.Write(temp["runs"], "exp", "big", curvePoints: 450, extraParams: 250, longValue: longValue);
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url))
        {
            tracking.Log(dir, "FINISHED", null);
            Assert.Equal($"mlflow: 1 run logged to {server.Url} (experiment exp)", await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken));
        }
        var run = TrackingAssert.ServerHasRunOnce(server, dir, "big", curvePoints: 450);
        Assert.Equal(250, run.Params.Count(p => p.Key.StartsWith("extra.p", StringComparison.Ordinal)));
        Assert.Equal("249", run.Params["extra.p249"]);
        Assert.Equal(6000, run.Params["notes"].Length);
        Assert.StartsWith("xxxx", run.Params["notes"], StringComparison.Ordinal);
        Assert.EndsWith("[7000 characters; full value in artifact long_params/notes.txt]", run.Params["notes"], StringComparison.Ordinal);
        Assert.Equal(longValue, Encoding.UTF8.GetString(server.Artifacts[$"{run.ExperimentId}/{run.Id}/artifacts/long_params/notes.txt"]));
        Assert.Equal(2255, run.Metrics.Count);
        Assert.True(server.Log.Count(r => r.Endpoint == "runs/log-batch") >= 3 + 3); // 3 metric, 3 param batches at least
    }

    [Fact]
    public async Task NaN_and_infinities_go_as_the_strings_MLflow_expects()
    {
        using var temp = new TempFolder();
        await using var server = new MlflowTestServer();
        var dir = FakeRunFolder.Write(temp["runs"], "exp", "nan");
        await using (var tracking = TrackingAssert.Create(temp.Path, server.Url))
        {
            tracking.Log(dir, "FINISHED", null);
            await tracking.FlushAsync(Wait, TestContext.Current.CancellationToken);
        }
        var body = Assert.Single(server.Log, r => r.Endpoint == "runs/log-batch" && r.Body.Contains("evaluate.odd", StringComparison.Ordinal)).Body;
        Assert.Contains("\"key\":\"evaluate.odd\",\"value\":\"NaN\"", body, StringComparison.Ordinal);
        Assert.Contains("\"key\":\"evaluate.mean_log10_density\",\"value\":\"-Infinity\"", body, StringComparison.Ordinal);
        var run = TrackingAssert.ServerHasRunOnce(server, dir, "nan");
        Assert.True(double.IsNaN(run.Metrics.Single(m => m.Key == "evaluate.odd").Value));
    }
}
