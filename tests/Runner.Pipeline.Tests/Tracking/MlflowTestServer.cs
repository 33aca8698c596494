using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Runner.Pipeline.Tests.Tracking;

/// <summary>
/// A real HTTP server on 127.0.0.1 implementing the part of MLflow's REST contract that tracking uses
/// (reference/mlflow-notes.md): experiments get-by-name/create, runs create/update/search, log-batch,
/// metrics get-history (with the upstream "no max_results" quirk), and the artifact proxy PUT, with
/// MLflow's error replies. It is stricter than MLflow where MLflow silently corrupts (values past the
/// limits, bare NaN) so a client bug shows. Faults can be injected per request, and the server can be
/// stopped (connection refused) and started again on the same port with its state.
/// </summary>
public sealed partial class MlflowTestServer : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private HttpListener? _listener;
    private Task? _loop;
    private int _requests;

    /// <summary>Starts on a free port.</summary>
    public MlflowTestServer()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Start();
    }

    /// <summary>The port.</summary>
    public int Port { get; }

    /// <summary>The base URL.</summary>
    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The Authorization header every request must carry (null: none checked).</summary>
    public string? ExpectedAuthorization { get; set; }

    /// <summary>Decides a fault for each request: (endpoint, request number from 1) -> fault.</summary>
    public Func<string, int, Fault> Faults { get; set; } = (_, _) => Fault.None;

    /// <summary>Experiments by id.</summary>
    public Dictionary<string, (string Name, string Stage)> Experiments { get; } = [];

    /// <summary>Runs by id.</summary>
    public Dictionary<string, ServerRun> Runs { get; } = [];

    /// <summary>Artifacts by path under the proxy root (<c>1/ID/artifacts/resolved.yaml</c>).</summary>
    public Dictionary<string, byte[]> Artifacts { get; } = [];

    /// <summary>Every request: method, endpoint, body.</summary>
    public List<(string Method, string Endpoint, string Body)> Log { get; } = [];

    /// <summary>The requests answered 401.</summary>
    public int Unauthorized { get; private set; }

    /// <summary>Listens (again).</summary>
    public void Start()
    {
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        listener.Start();
        _listener = listener;
        _loop = Task.Run(() => AcceptAsync(listener));
    }

    /// <summary>Stops listening: new connections are refused.</summary>
    public async Task StopAsync()
    {
        var listener = _listener;
        _listener = null;
        if (listener is null) return;
        listener.Stop();
        listener.Close();
        if (_loop is not null) await _loop.ConfigureAwait(false);
    }

    private async Task AcceptAsync(HttpListener listener)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            var request = context.Request;
            using var buffer = new MemoryStream();
            await request.InputStream.CopyToAsync(buffer).ConfigureAwait(false);
            var bytes = buffer.ToArray();
            var body = Encoding.UTF8.GetString(bytes);
            var path = request.Url!.AbsolutePath;
            var endpoint = path.StartsWith("/api/2.0/mlflow-artifacts/artifacts/", StringComparison.Ordinal) ? "artifacts" : path.Replace("/api/2.0/mlflow/", "", StringComparison.Ordinal);
            int number;
            Fault fault;
            lock (_gate)
            {
                number = ++_requests;
                Log.Add((request.HttpMethod, endpoint, body));
                fault = Faults(endpoint, number);
            }
            if (fault.Kind == FaultKind.Error500Before)
            {
                await ReplyAsync(context, 500, Error("INTERNAL_ERROR", "injected failure")).ConfigureAwait(false);
                return;
            }
            (int Status, string Json) reply;
            if (ExpectedAuthorization is not null && request.Headers["Authorization"] != ExpectedAuthorization)
            {
                lock (_gate) Unauthorized++;
                reply = (401, Error("UNAUTHENTICATED", "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html"));
            }
            else
            {
                lock (_gate) reply = Dispatch(request, path, endpoint, body, bytes);
            }
            if (fault.Kind == FaultKind.Error500After) reply = (500, Error("INTERNAL_ERROR", "injected failure after applying"));
            if (fault.Delay > TimeSpan.Zero) await Task.Delay(fault.Delay).ConfigureAwait(false);
            await ReplyAsync(context, reply.Status, reply.Json).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            // the client gave up or the server stopped
        }
    }

    private static async Task ReplyAsync(HttpListenerContext context, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        context.Response.Close();
    }

    internal static string Error(string code, string message) => new JsonObject { ["error_code"] = code, ["message"] = message }.ToJsonString();

    /// <summary>Stops and releases the port.</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>One run as the server holds it.</summary>
    public sealed class ServerRun
    {
        /// <summary>Run id.</summary>
        public required string Id { get; init; }

        /// <summary>Experiment id.</summary>
        public required string ExperimentId { get; init; }

        /// <summary>Name.</summary>
        public required string Name { get; set; }

        /// <summary>User id.</summary>
        public required string User { get; init; }

        /// <summary>RUNNING, FINISHED, ...</summary>
        public string Status { get; set; } = "RUNNING";

        /// <summary>Start time.</summary>
        public long StartTime { get; init; }

        /// <summary>End time.</summary>
        public long? EndTime { get; set; }

        /// <summary>Tags.</summary>
        public Dictionary<string, string> Tags { get; } = [];

        /// <summary>Params.</summary>
        public Dictionary<string, string> Params { get; } = [];

        /// <summary>Every logged metric, duplicates included (as MLflow stores them).</summary>
        public List<(string Key, double Value, long Timestamp, long Step)> Metrics { get; } = [];
    }
}

/// <summary>How the server misbehaves on one request.</summary>
public enum FaultKind
{
    /// <summary>Behaves.</summary>
    None,

    /// <summary>500 without applying the request.</summary>
    Error500Before,

    /// <summary>Applies the request, then answers 500 (MLflow's file-store-backed server does this for a param change).</summary>
    Error500After,
}

/// <summary>A fault: its kind and a delay before the reply (after applying the request).</summary>
public readonly record struct Fault(FaultKind Kind, TimeSpan Delay)
{
    /// <summary>No fault.</summary>
    public static Fault None => new(FaultKind.None, TimeSpan.Zero);
}
