using System.Net;
using System.Net.Sockets;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Tracking;

namespace Runner.Cli.Tests;

public sealed class TrackingCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    [Fact]
    public async Task Tracking_sync_sends_what_an_unreachable_server_left_spooled()
    {
        var runs = Path.Combine(_cli.Directory, "runs");
        var record = new RunRecord { Experiment = "exp", RunName = "k=4", Point = 0, SpecHash = "0123", Stages = [] };
        var dir = RunFolder.Write(runs, record, "name: exp\nsae:\n  k: 4\n");
        var env = new Dictionary<string, string> { ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0", ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "2", ["LOGNAME"] = "alice" };
        var spec = new TrackingSpec { Mlflow = new MlflowSpec { Uri = $"http://127.0.0.1:{ClosedPort()}" } };
        await using (var tracking = RunTracking.Create(spec, "exp", _cli.Directory, n => env.GetValueOrDefault(n))!)
        {
            tracking.Log(dir, "FINISHED", null);
            Assert.Equal("mlflow: server unreachable, 1 run spooled; `runner tracking sync` replays it", await tracking.FlushAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken));
        }
        // The server moved into a file store (as `mlflow server --backend-store-uri` would serve it).
        var state = Path.Combine(dir, ".tracking", "state.json");
        var store = Path.Combine(_cli.Directory, "mlruns");
        File.WriteAllText(state, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(state), "\"target\": \"[^\"]*\"", $"\"target\": \"{new Uri(store).AbsoluteUri}\""));

        Assert.Equal(0, _cli.Run("tracking", "sync"));
        Assert.Equal("mlflow: 1 spooled run logged\n", _cli.Out);
        var experiment = Assert.Single(Directory.GetDirectories(store), d => Path.GetFileName(d) is not ("0" or ".trash"));
        var run = Assert.Single(Directory.GetDirectories(experiment));
        Assert.Equal("4", File.ReadAllText(Path.Combine(run, "params", "sae.k")));
        Assert.Equal("k=4", File.ReadAllText(Path.Combine(run, "tags", "mlflow.runName")));

        Assert.Equal(0, _cli.Run("tracking", "sync", "--runs-dir", runs));
        Assert.Equal($"mlflow: nothing spooled under {runs}\n", _cli.Out);
    }
}
