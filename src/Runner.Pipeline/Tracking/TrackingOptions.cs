using System.Globalization;

namespace Runner.Pipeline.Tracking;

/// <summary>Timing of tracking requests: per-request timeout, retries with exponential backoff, queue size.</summary>
public sealed record TrackingOptions
{
    /// <summary>One HTTP request's limit (an artifact upload gets one more second per MB). <c>MLFLOW_HTTP_REQUEST_TIMEOUT</c> (seconds) overrides it.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts per call before the run is left spooled. <c>MLFLOW_HTTP_REQUEST_MAX_RETRIES</c> (retries) overrides it.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>The first retry's delay; each later one doubles it. <c>MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR</c> (seconds) overrides it.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Run folders the background writer may have waiting; a full queue leaves the rest spooled for the next replay.</summary>
    public int QueueCapacity { get; init; } = 1024;

    /// <summary>How long to wait for another process's lock on a run folder's spool before leaving it to that process.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The defaults, with MLflow's own environment variables applied.</summary>
    public static TrackingOptions FromEnvironment(Func<string, string?> environment)
    {
        var o = new TrackingOptions();
        if (Seconds(environment("MLFLOW_HTTP_REQUEST_TIMEOUT")) is { } t && t > 0) o = o with { RequestTimeout = TimeSpan.FromSeconds(t) };
        if (int.TryParse(environment("MLFLOW_HTTP_REQUEST_MAX_RETRIES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r >= 0)
            o = o with { MaxAttempts = r + 1 };
        if (Seconds(environment("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR")) is { } b && b >= 0) o = o with { Backoff = TimeSpan.FromSeconds(b) };
        return o;
    }

    private static double? Seconds(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
}
