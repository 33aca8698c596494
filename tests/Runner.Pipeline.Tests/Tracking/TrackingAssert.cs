using Runner.Pipeline.Spec;
using Runner.Pipeline.Tracking;

namespace Runner.Pipeline.Tests.Tracking;

/// <summary>Helpers shared by the tracking tests.</summary>
public static class TrackingAssert
{
    /// <summary>Short timeouts and backoff so fault tests stay fast.</summary>
    public static TrackingOptions Fast { get; } = new()
    {
        RequestTimeout = TimeSpan.FromMilliseconds(400),
        MaxAttempts = 4,
        Backoff = TimeSpan.FromMilliseconds(10),
        LockWait = TimeSpan.FromSeconds(2),
    };

    /// <summary>A RunTracking for <paramref name="uri"/> with <paramref name="env"/> as the environment.</summary>
    public static RunTracking Create(string workingDirectory, string? uri, IReadOnlyDictionary<string, string>? env = null, TrackingOptions? options = null, string experiment = "exp")
    {
        var environment = new Dictionary<string, string> { ["LOGNAME"] = "alice" };
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) environment[k] = v;
        return RunTracking.Create(new TrackingSpec { Mlflow = new MlflowSpec { Uri = uri } }, experiment, workingDirectory, n => environment.GetValueOrDefault(n), options ?? Fast)!;
    }

    /// <summary>The server holds the fake run <paramref name="name"/> exactly once, every record exactly once.</summary>
    public static MlflowTestServer.ServerRun ServerHasRunOnce(MlflowTestServer server, string runDirectory, string name, int k = 8, int curvePoints = 3, string? parentId = null)
    {
        var runs = server.Runs.Values.Where(r => r.Name == name).ToList();
        var run = Assert.Single(runs);
        Assert.Equal("FINISHED", run.Status);
        Assert.Equal(FakeRunFolder.Started.ToUnixTimeMilliseconds(), run.StartTime);
        Assert.Equal(FakeRunFolder.Finished.ToUnixTimeMilliseconds(), run.EndTime);
        Assert.Equal("alice", run.User);
        var expectedParams = FakeRunFolder.ExpectedParams("exp", k);
        foreach (var (key, value) in expectedParams) Assert.Equal(value, run.Params.GetValueOrDefault(key));
        Assert.Equal(expectedParams.Count, run.Params.Count(p => !p.Key.StartsWith("extra.", StringComparison.Ordinal) && p.Key != "notes"));
        var expected = FakeRunFolder.ExpectedMetrics(k, curvePoints).Select(Text).Order(StringComparer.Ordinal).ToList();
        var actual = run.Metrics.Select(Text).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
        Assert.Equal(name, run.Tags["mlflow.runName"]);
        Assert.Equal("alice", run.Tags["mlflow.user"]);
        Assert.Equal("runner", run.Tags["mlflow.source.name"]);
        Assert.Equal("LOCAL", run.Tags["mlflow.source.type"]);
        Assert.Equal("e9c81996", run.Tags["runner.spec_hash"]);
        Assert.Equal("8eaf", run.Tags["runner.stage.train.key"]);
        Assert.Equal("be6d", run.Tags["runner.stage.capture.key"]);
        Assert.Equal("cached", run.Tags["runner.stage.capture.status"]);
        Assert.Equal(TrackingContext.CurrentVersion, run.Tags["runner.version"]);
        Assert.Equal(parentId, run.Tags.GetValueOrDefault("mlflow.parentRunId"));
        foreach (var artifact in FakeRunFolder.ExpectedArtifacts)
            Assert.Equal(File.ReadAllBytes(Path.Combine(runDirectory, artifact)), server.Artifacts[$"{run.ExperimentId}/{run.Id}/artifacts/{artifact}"]);
        Assert.Equal(FakeRunFolder.ExpectedArtifacts.Length, server.Artifacts.Keys.Count(a => a.StartsWith($"{run.ExperimentId}/{run.Id}/", StringComparison.Ordinal) && !a.Contains("long_params", StringComparison.Ordinal)));
        return run;
    }

    /// <summary>A metric as comparable text (NaN equal to NaN).</summary>
    public static string Text((string Key, double Value, long Timestamp, long Step) m) =>
        $"{m.Key} {m.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} {m.Timestamp} {m.Step}";
}
