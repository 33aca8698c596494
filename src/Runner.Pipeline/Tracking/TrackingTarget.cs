using Runner.Core;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tracking;

/// <summary>
/// Where tracking records go: an MLflow server (<c>http(s)://…</c>) or a file store folder. <see cref="Key"/>
/// is what spools record (<c>file:///abs/mlruns</c> or the server URL without credentials); the
/// credentials come from the environment (or the spec's URI) each time a client is made.
/// </summary>
public sealed record TrackingTarget
{
    /// <summary>The spooled form: <c>file:///abs/path</c> or <c>http(s)://host[:port][/prefix]</c>, never credentials.</summary>
    public required string Key { get; init; }

    /// <summary>The server URL as given (it may carry <c>user:password@</c>); null for a file store.</summary>
    public Uri? Server { get; init; }

    /// <summary>The file store root (absolute); null for a server.</summary>
    public string? FileStore { get; init; }

    /// <summary>
    /// The target of <c>tracking.mlflow.uri</c>, else <c>$MLFLOW_TRACKING_URI</c>, else <c>./mlruns</c>;
    /// a relative folder resolves against <paramref name="workingDirectory"/>. A scheme other than
    /// http, https and file is a RunnerException (exit 2).
    /// </summary>
    public static TrackingTarget Resolve(MlflowSpec spec, string workingDirectory, Func<string, string?> environment)
    {
        var fromSpec = !string.IsNullOrWhiteSpace(spec.Uri);
        var uri = fromSpec ? spec.Uri! : environment("MLFLOW_TRACKING_URI");
        if (string.IsNullOrWhiteSpace(uri)) uri = "./mlruns";
        var where = fromSpec ? "tracking.mlflow.uri" : "MLFLOW_TRACKING_URI";
        return Parse(uri.Trim(), workingDirectory, where);
    }

    /// <summary>The target a spool recorded (its <see cref="Key"/>).</summary>
    public static TrackingTarget FromKey(string key, string workingDirectory) => Parse(key, workingDirectory, "the spooled target");

    private static TrackingTarget Parse(string uri, string workingDirectory, string where)
    {
        if (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out var server) || string.IsNullOrEmpty(server.Host))
                throw new RunnerException($"{where}: '{uri}' is not a valid server URL (expected http(s)://host[:port])", exitCode: 2);
            var clean = new UriBuilder(server) { UserName = "", Password = "", Query = "", Fragment = "" }.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
            return new TrackingTarget { Key = clean, Server = server };
        }
        string path;
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            path = Uri.TryCreate(uri, UriKind.Absolute, out var file) && file.IsFile ? file.LocalPath : uri["file:".Length..];
        }
        else if (uri.Contains("://", StringComparison.Ordinal) || uri.StartsWith("databricks", StringComparison.OrdinalIgnoreCase)
            || uri.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("postgresql:", StringComparison.OrdinalIgnoreCase)
            || uri.StartsWith("mysql:", StringComparison.OrdinalIgnoreCase))
        {
            throw new RunnerException($"{where}: '{uri}' is not supported; expected an MLflow server (http(s)://host:port) or a file store folder (./mlruns, file:///abs/mlruns). For a database-backed store, run `mlflow server --backend-store-uri {uri}` and point {where} at it", exitCode: 2);
        }
        else path = uri;
        var full = Path.GetFullPath(path, workingDirectory);
        return new TrackingTarget { Key = MlflowFileStore.FileUri(full), FileStore = full };
    }

    /// <summary>A client for this target.</summary>
    public IRunTracker Open(string workingDirectory, Func<string, string?> environment, TrackingOptions options) =>
        Server is not null ? new MlflowRestClient(Server, environment, options) : new MlflowFileStore(FileStore!, workingDirectory);
}
