using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Tracking;

/// <summary>
/// <see cref="IRunTracker"/> over MLflow's REST API (<c>/api/2.0/mlflow/…</c>), with artifacts through
/// the server's artifact proxy (<c>/api/2.0/mlflow-artifacts/artifacts/…</c>). Authenticates as MLflow's
/// clients do: <c>MLFLOW_TRACKING_TOKEN</c> (Bearer), else <c>MLFLOW_TRACKING_USERNAME</c>/<c>PASSWORD</c>
/// (Basic). NaN and infinities go as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>.
/// </summary>
public sealed class MlflowRestClient : IRunTracker
{
    private const string TokenTag = "runner.log_token";
    private readonly HttpClient _http;
    private readonly Uri _base;
    private readonly TrackingOptions _options;
    private readonly Dictionary<string, string> _experiments = new(StringComparer.Ordinal);

    /// <summary>A client for the server at <paramref name="baseUri"/> (<c>http(s)://host:port[/prefix]</c>).</summary>
    public MlflowRestClient(Uri baseUri, Func<string, string?> environment, TrackingOptions options)
    {
        _options = options;
        var handler = new SocketsHttpHandler { ConnectTimeout = options.RequestTimeout, PooledConnectionLifetime = TimeSpan.FromMinutes(2) };
        if (IsTrue(environment("MLFLOW_TRACKING_INSECURE_TLS")))
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var builder = new UriBuilder(baseUri) { Query = "", Fragment = "" };
        string? user = null, password = null;
        if (!string.IsNullOrEmpty(builder.UserName))
        {
            user = Uri.UnescapeDataString(builder.UserName);
            password = Uri.UnescapeDataString(builder.Password);
            builder.UserName = "";
            builder.Password = "";
        }
        if (!builder.Path.EndsWith('/')) builder.Path += "/";
        _base = builder.Uri;
        Display = _base.GetLeftPart(UriPartial.Path).TrimEnd('/');
        if (environment("MLFLOW_TRACKING_TOKEN") is { Length: > 0 } token)
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        else if ((environment("MLFLOW_TRACKING_USERNAME") ?? user) is { Length: > 0 } name)
        {
            var secret = environment("MLFLOW_TRACKING_PASSWORD") ?? password ?? "";
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{secret}")));
        }
        _http.DefaultRequestHeaders.UserAgent.ParseAdd($"runner/{TrackingContext.CurrentVersion}");
    }

    /// <inheritdoc/>
    public string Display { get; }

    /// <inheritdoc/>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken)
    {
        if (_experiments.TryGetValue(name, out var known)) return known;
        var id = await FindExperimentAsync(name, cancellationToken).ConfigureAwait(false);
        if (id is null)
        {
            try
            {
                var created = await SendAsync(HttpMethod.Post, "experiments/create", new JsonObject { ["name"] = name }, cancellationToken).ConfigureAwait(false);
                id = (string?)created["experiment_id"] ?? throw new TrackingException(TrackingFailure.Rejected, "experiments/create returned no experiment_id");
            }
            catch (TrackingException e) when (e.ErrorCode == "RESOURCE_ALREADY_EXISTS" || e.Kind == TrackingFailure.Uncertain)
            {
                // Someone else created it meanwhile, or our own create landed without its reply.
                id = await FindExperimentAsync(name, cancellationToken).ConfigureAwait(false);
                if (id is null) throw;
            }
        }
        _experiments[name] = id;
        return id;
    }

    private async Task<string?> FindExperimentAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await SendAsync(HttpMethod.Get, "experiments/get-by-name?experiment_name=" + Uri.EscapeDataString(name), null, cancellationToken).ConfigureAwait(false);
            var experiment = reply["experiment"] as JsonObject ?? throw new TrackingException(TrackingFailure.Rejected, "experiments/get-by-name returned no experiment");
            if ((string?)experiment["lifecycle_stage"] == "deleted")
                throw new TrackingException(TrackingFailure.Rejected, $"the MLflow experiment '{name}' is deleted; restore it (mlflow experiments restore) or name another in tracking.mlflow.experiment");
            return (string?)experiment["experiment_id"];
        }
        catch (TrackingException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            return null;
        }
    }

    /// <inheritdoc/>
    public async Task<MlflowRunHandle> CreateRunAsync(string experimentId, MlflowRunStart start, bool mayExist, CancellationToken cancellationToken)
    {
        if (mayExist && await FindRunAsync(experimentId, start.Token, cancellationToken).ConfigureAwait(false) is { } found) return found;
        var tags = new JsonArray();
        foreach (var (key, value) in start.Tags.Append(KeyValuePair.Create(TokenTag, start.Token))) tags.Add(Tag(key, value));
        var body = new JsonObject
        {
            ["experiment_id"] = experimentId,
            ["run_name"] = start.Name,
            ["start_time"] = start.StartTime,
            ["user_id"] = start.UserId,
            ["tags"] = tags,
        };
        var reply = await SendAsync(HttpMethod.Post, "runs/create", body, cancellationToken).ConfigureAwait(false);
        return Handle(reply["run"]?["info"] as JsonObject) ?? throw new TrackingException(TrackingFailure.Rejected, "runs/create returned no run info");
    }

    private async Task<MlflowRunHandle?> FindRunAsync(string experimentId, string token, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["experiment_ids"] = new JsonArray(experimentId),
            ["filter"] = $"tags.{TokenTag} = '{token}'",
            ["max_results"] = 10,
        };
        var reply = await SendAsync(HttpMethod.Post, "runs/search", body, cancellationToken).ConfigureAwait(false);
        return (reply["runs"] as JsonArray)?.Select(r => Handle(r?["info"] as JsonObject)).FirstOrDefault(h => h is not null);
    }

    private static MlflowRunHandle? Handle(JsonObject? info) =>
        info is null || (string?)info["run_id"] is not { } id ? null
            : new MlflowRunHandle(id, (string?)info["experiment_id"] ?? "", (string?)info["artifact_uri"] ?? "");

    /// <inheritdoc/>
    public async Task LogBatchAsync(MlflowRunHandle run, IReadOnlyList<MlflowMetric> metrics, IReadOnlyList<KeyValuePair<string, string>> parameters,
        IReadOnlyList<KeyValuePair<string, string>> tags, bool mayBeLogged, CancellationToken cancellationToken)
    {
        if (mayBeLogged && metrics.Count > 0) metrics = await MissingAsync(run, metrics, cancellationToken).ConfigureAwait(false);
        if (metrics.Count == 0 && parameters.Count == 0 && tags.Count == 0) return;
        var body = new JsonObject
        {
            ["run_id"] = run.RunId,
            ["metrics"] = new JsonArray([.. metrics.Select(m => (JsonNode)new JsonObject
            {
                ["key"] = m.Key,
                ["value"] = Number(m.Value),
                ["timestamp"] = m.Timestamp,
                ["step"] = m.Step,
            })]),
            ["params"] = new JsonArray([.. parameters.Select(p => (JsonNode)Tag(p.Key, p.Value))]),
            ["tags"] = new JsonArray([.. tags.Select(t => (JsonNode)Tag(t.Key, t.Value))]),
        };
        await SendAsync(HttpMethod.Post, "runs/log-batch", body, cancellationToken).ConfigureAwait(false);
    }

    // The metrics of this batch the server does not have yet: one metric history per key.
    private async Task<IReadOnlyList<MlflowMetric>> MissingAsync(MlflowRunHandle run, IReadOnlyList<MlflowMetric> metrics, CancellationToken cancellationToken)
    {
        var missing = new List<MlflowMetric>();
        foreach (var group in metrics.GroupBy(m => m.Key, StringComparer.Ordinal))
        {
            var existing = new List<MlflowMetric>();
            string? page = null;
            do
            {
                var query = $"metrics/get-history?run_id={Uri.EscapeDataString(run.RunId)}&metric_key={Uri.EscapeDataString(group.Key)}&max_results=25000"
                    + (page is null ? "" : "&page_token=" + Uri.EscapeDataString(page));
                var reply = await SendAsync(HttpMethod.Get, query, null, cancellationToken).ConfigureAwait(false);
                foreach (var m in reply["metrics"] as JsonArray ?? [])
                    existing.Add(new MlflowMetric(group.Key, ReadNumber(m?["value"]), (long?)m?["timestamp"] ?? 0, (long?)m?["step"] ?? 0));
                var next = (string?)reply["next_page_token"];
                page = string.IsNullOrEmpty(next) || next == page || (reply["metrics"] as JsonArray)?.Count is null or 0 ? null : next;
            }
            while (page is not null);
            missing.AddRange(group.Where(m => !existing.Any(e => e.SameAs(m))));
        }
        return missing;
    }

    /// <inheritdoc/>
    public async Task UploadArtifactAsync(MlflowRunHandle run, string artifactPath, string localFile, CancellationToken cancellationToken)
    {
        var root = run.ArtifactUri;
        if (root.StartsWith("file:", StringComparison.Ordinal))
        {
            // A server with --no-serve-artifacts and a local artifact root: clients write there directly.
            MlflowFileStore.CopyArtifact(new Uri(root).LocalPath, artifactPath, localFile);
            return;
        }
        var url = ArtifactUrl(root, artifactPath);
        var size = new FileInfo(localFile).Length;
        var timeout = _options.RequestTimeout + TimeSpan.FromSeconds(size / 1_000_000.0);
        await SendWithTimeoutAsync(() =>
        {
            var content = new StreamContent(File.OpenRead(localFile));
            content.Headers.ContentType = new MediaTypeHeaderValue(MimeType(artifactPath));
            return new HttpRequestMessage(HttpMethod.Put, url) { Content = content };
        }, "artifact upload " + artifactPath, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The proxy URL of an artifact: <c>mlflow-artifacts:/P</c> -> <c>BASE/api/2.0/mlflow-artifacts/artifacts/P</c>.</summary>
    internal Uri ArtifactUrl(string artifactRoot, string artifactPath)
    {
        const string Scheme = "mlflow-artifacts:";
        if (!artifactRoot.StartsWith(Scheme, StringComparison.Ordinal))
            throw new TrackingException(TrackingFailure.Rejected,
                $"the server's artifact root '{artifactRoot}' is not served through its artifact proxy (start it with --serve-artifacts); artifacts were not uploaded");
        var rest = artifactRoot[Scheme.Length..];
        var origin = new Uri(_base.GetLeftPart(UriPartial.Authority) + "/");
        var prefix = _base;
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            // mlflow-artifacts://host:port/P names the host explicitly.
            var slash = rest.IndexOf('/', 2);
            origin = new Uri($"{_base.Scheme}://{(slash < 0 ? rest[2..] : rest[2..slash])}/");
            prefix = origin;
            rest = slash < 0 ? "" : rest[slash..];
        }
        var segments = rest.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Concat(artifactPath.Split('/', StringSplitOptions.RemoveEmptyEntries))
            .Select(Uri.EscapeDataString);
        return new Uri(prefix, "api/2.0/mlflow-artifacts/artifacts/" + string.Join('/', segments));
    }

    /// <summary>
    /// A run as the server records it (<c>GET runs/get</c>): its info, tags, params and latest metrics. An unknown id
    /// throws a <see cref="TrackingException"/> with <see cref="TrackingException.ErrorCode"/> <c>RESOURCE_DOES_NOT_EXIST</c>.
    /// </summary>
    public async Task<MlflowRunRecord> GetRunAsync(string runId, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(HttpMethod.Get, "runs/get?run_id=" + Uri.EscapeDataString(runId), null, cancellationToken).ConfigureAwait(false);
        var run = reply["run"] as JsonObject ?? throw new TrackingException(TrackingFailure.Rejected, "runs/get returned no run");
        var handle = Handle(run["info"] as JsonObject) ?? throw new TrackingException(TrackingFailure.Rejected, "runs/get returned no run info");
        var data = run["data"] as JsonObject;
        static Dictionary<string, string> Pairs(JsonNode? array)
        {
            var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in array as JsonArray ?? [])
                if ((string?)item?["key"] is { } key) pairs[key] = (string?)item?["value"] ?? "";
            return pairs;
        }
        var metrics = (data?["metrics"] as JsonArray ?? [])
            .Where(m => (string?)m?["key"] is not null)
            .Select(m => new MlflowMetric((string)m!["key"]!, ReadNumber(m["value"]), (long?)m["timestamp"] ?? 0, (long?)m["step"] ?? 0))
            .ToList();
        return new MlflowRunRecord(handle, Pairs(data?["tags"]), Pairs(data?["params"]), metrics);
    }

    /// <summary>
    /// Downloads one artifact of <paramref name="run"/> (<paramref name="artifactPath"/> under its artifact root) through
    /// the server's artifact proxy, the same layout <see cref="UploadArtifactAsync"/> writes; a <c>file:</c> root is read directly.
    /// </summary>
    public async Task<byte[]> DownloadArtifactAsync(MlflowRunHandle run, string artifactPath, CancellationToken cancellationToken)
    {
        var root = run.ArtifactUri;
        if (root.StartsWith("file:", StringComparison.Ordinal))
        {
            var file = Path.Combine([new Uri(root).LocalPath, .. artifactPath.Split('/', StringSplitOptions.RemoveEmptyEntries)]);
            if (!File.Exists(file)) throw new TrackingException(TrackingFailure.Rejected, $"artifact {artifactPath}: no such file {file}", errorCode: "RESOURCE_DOES_NOT_EXIST");
            return await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false);
        }
        var url = ArtifactUrl(root, artifactPath);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, url), "artifact download " + artifactPath, _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TrackingException e) when (e.Transient && attempt < _options.MaxAttempts)
            {
                await Task.Delay(_options.Backoff * Math.Pow(2, attempt - 1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc/>
    public async Task UpdateRunAsync(MlflowRunHandle run, string status, long endTime, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Post, "runs/update", new JsonObject { ["run_id"] = run.RunId, ["status"] = status, ["end_time"] = endTime }, cancellationToken).ConfigureAwait(false);

    private async Task<JsonObject> SendAsync(HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        var url = new Uri(_base, "api/2.0/mlflow/" + path);
        var text = body?.ToJsonString();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SendWithTimeoutAsync(() =>
                {
                    var request = new HttpRequestMessage(method, url);
                    if (text is not null) request.Content = new StringContent(text, Encoding.UTF8, "application/json");
                    return request;
                }, path.Split('?')[0], _options.RequestTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TrackingException e) when (e.Transient && method == HttpMethod.Get && attempt < _options.MaxAttempts)
            {
                // Reads change nothing: retry them here, so a reconciliation of many keys is not restarted by one failed read.
                await Task.Delay(_options.Backoff * Math.Pow(2, attempt - 1), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<JsonObject> SendWithTimeoutAsync(Func<HttpRequestMessage> build, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(await SendRawAsync(build, what, timeout, cancellationToken).ConfigureAwait(false));
        try
        {
            return string.IsNullOrWhiteSpace(text) ? [] : JsonNode.Parse(text) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    // One request: the reply's bytes on success, else a TrackingException classifying the failure.
    private async Task<byte[]> SendRawAsync(Func<HttpRequestMessage> build, string what, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        using var request = build();
        HttpResponseMessage response;
        byte[] bytes;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, limit.Token).ConfigureAwait(false);
            bytes = await response.Content.ReadAsByteArrayAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TrackingException(TrackingFailure.Uncertain, $"{what}: no reply from {Display} within {timeout.TotalSeconds:0.###} s", e);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostNotFound or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TryAgain })
        {
            throw new TrackingException(TrackingFailure.Unreachable, $"{what}: {Display} is unreachable ({e.InnerException.Message})", e);
        }
        catch (HttpRequestException e)
        {
            throw new TrackingException(e.HttpRequestError == HttpRequestError.ConnectionError ? TrackingFailure.Unreachable : TrackingFailure.Uncertain,
                $"{what}: {e.Message}", e);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode) return bytes;
            var text = Encoding.UTF8.GetString(bytes);
            var code = (int)response.StatusCode;
            var (errorCode, detail) = ErrorText(text);
            var kind = code >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests || response.StatusCode == HttpStatusCode.RequestTimeout
                ? TrackingFailure.Uncertain : TrackingFailure.Rejected;
            var hint = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                ? " (check MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD)" : "";
            throw new TrackingException(kind, $"{what}: HTTP {code} {detail}{hint}", errorCode: errorCode);
        }
    }

    private static (string? Code, string Text) ErrorText(string body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject o && (string?)o["error_code"] is { } code)
                return (code, $"{code}: {(string?)o["message"]}");
        }
        catch (JsonException)
        {
        }
        return (null, body.Length > 300 ? body[..300] + "…" : body);
    }

    private static JsonObject Tag(string key, string value) => new() { ["key"] = key, ["value"] = value };

    private static JsonNode Number(double value) =>
        double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");

    private static double ReadNumber(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string?)v switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s => double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : double.NaN,
        },
        _ => double.NaN,
    };

    private static string MimeType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".json" => "application/json",
        ".yaml" or ".yml" => "application/x-yaml",
        ".html" => "text/html",
        ".txt" or ".jsonl" => "text/plain",
        _ => "application/octet-stream",
    };

    private static bool IsTrue(string? value) => value is not null && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value == "1");

    /// <inheritdoc/>
    public void Dispose() => _http.Dispose();
}
