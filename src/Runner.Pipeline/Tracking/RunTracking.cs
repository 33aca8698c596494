using System.Threading.Channels;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tracking;

/// <summary>
/// MLflow tracking of finished run folders. <see cref="Log"/> writes the folder's spool
/// (<c>&lt;run&gt;/.tracking/state.json</c>) and queues it; a background writer sends it (file store or
/// REST, see <see cref="IRunTracker"/>) with retries and backoff, saving progress in the spool after
/// every confirmed step. What is not sent when <see cref="FlushAsync"/> gives up stays spooled and is
/// replayed by the next <see cref="RunTracking"/> that logs into the same runs folder, or by
/// <c>runner tracking sync</c> (<see cref="SyncAsync"/>). Tracking never throws into the run: failures
/// end up in the summary line and the spools.
/// </summary>
public sealed partial class RunTracking : IAsyncDisposable
{
    private readonly TrackingTarget? _target;
    private readonly string _experiment;
    private readonly string _workingDirectory;
    private readonly Func<string, string?> _environment;
    private readonly TrackingOptions _options;
    private readonly SpoolReplayer _replayer;
    private readonly Channel<WorkItem> _queue;
    private readonly Lazy<TrackingContext> _context;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IRunTracker> _clients = new(StringComparer.Ordinal);
    private readonly HashSet<string> _down = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Sweep> _sweeps = new(StringComparer.Ordinal);
    private readonly HashSet<string> _scanned = new(StringComparer.Ordinal);
    private readonly List<string> _own = [];
    private readonly HashSet<string> _ownSet = new(StringComparer.Ordinal);
    private readonly HashSet<string> _replays = new(StringComparer.Ordinal);
    private readonly HashSet<string> _replayed = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];
    private int _outstanding;
    private TaskCompletionSource _idle = NewIdle();
    private CancellationTokenSource _stop = new();
    private Task _writer;

    private RunTracking(TrackingTarget? target, string experiment, string workingDirectory, Func<string, string?> environment, TrackingOptions options)
    {
        _target = target;
        _experiment = experiment;
        _workingDirectory = workingDirectory;
        _environment = environment;
        _options = options;
        _replayer = new SpoolReplayer(options);
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(Math.Max(1, options.QueueCapacity)) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _context = new Lazy<TrackingContext>(() => TrackingContext.Capture(workingDirectory, environment));
        _writer = Task.Run(() => WriteLoopAsync(_stop.Token));
    }

    /// <summary>
    /// Tracking for one command, or null when the spec says <c>tracking: none</c>. The target is
    /// <c>tracking.mlflow.uri</c>, else <c>$MLFLOW_TRACKING_URI</c>, else <c>./mlruns</c> under
    /// <paramref name="workingDirectory"/>; the experiment is <c>tracking.mlflow.experiment</c>, else
    /// <paramref name="experimentName"/>. An unsupported URI is a RunnerException (exit 2).
    /// </summary>
    public static RunTracking? Create(TrackingSpec spec, string experimentName, string workingDirectory, Func<string, string?> environment) =>
        Create(spec, experimentName, workingDirectory, environment, TrackingOptions.FromEnvironment(environment));

    /// <summary><see cref="Create(TrackingSpec, string, string, Func{string, string?})"/> with explicit timing (tests).</summary>
    internal static RunTracking? Create(TrackingSpec spec, string experimentName, string workingDirectory, Func<string, string?> environment, TrackingOptions options)
    {
        if (spec.Mlflow is not { } mlflow) return null;
        var target = TrackingTarget.Resolve(mlflow, workingDirectory, environment);
        var experiment = string.IsNullOrWhiteSpace(mlflow.Experiment) ? experimentName : mlflow.Experiment;
        return new RunTracking(target, experiment, workingDirectory, environment, options);
    }

    /// <summary>
    /// Starts a sweep's parent run (call once before its points when the experiment has more than one
    /// point) and returns the id to pass to <see cref="Log"/> as the parent. The parent is created with
    /// its first point and ended (FAILED if a point failed, else KILLED if one was killed, else
    /// FINISHED) by the next <see cref="FlushAsync"/>.
    /// </summary>
    public string StartSweep(string sweepName, IReadOnlyDictionary<string, string> tags)
    {
        var token = Guid.NewGuid().ToString("N");
        lock (_gate)
            _sweeps[token] = new Sweep { Name = sweepName, Tags = new Dictionary<string, string>(tags, StringComparer.Ordinal), Started = Now() };
        return token;
    }

    /// <summary>
    /// Marks a sweep started by <see cref="StartSweep"/> as interrupted (Ctrl-C): it ends KILLED unless a point failed,
    /// even when every point it logged finished (the run was cancelled before its other points started), with
    /// <paramref name="cancelledAt"/> as its end time.
    /// </summary>
    public void MarkSweepKilled(string sweepId, DateTimeOffset cancelledAt)
    {
        lock (_gate)
            if (_sweeps.TryGetValue(sweepId, out var sweep)) sweep.KilledAt = cancelledAt.ToUnixTimeMilliseconds();
    }

    /// <summary>
    /// Queues one finished run folder: writes its spool at once (so nothing is lost if the process
    /// dies), then the background writer sends params (the flattened <c>resolved.yaml</c>), tags,
    /// metrics (curves from <c>stages/*/curves.json</c> and <c>metrics.json</c>), artifacts
    /// (<c>resolved.yaml</c>, <c>sae/</c>, <c>tables/</c>, <c>report.html</c>) and the status:
    /// <c>FINISHED</c>, <c>FAILED</c> or <c>KILLED</c>. <paramref name="parentRunId"/> is an id from
    /// <see cref="StartSweep"/> (or an existing MLflow run id), or null.
    /// </summary>
    public void Log(string runDirectory, string status, string? parentRunId)
    {
        if (status is not ("FINISHED" or "FAILED" or "KILLED"))
            throw new ArgumentException($"status must be FINISHED, FAILED or KILLED, not '{status}'", nameof(status));
        if (_target is null) throw new InvalidOperationException("this RunTracking only replays spools");
        var dir = Path.GetFullPath(runDirectory, _workingDirectory);
        try
        {
            var parentIsSweep = false;
            if (parentRunId is not null)
            {
                lock (_gate)
                {
                    if (_sweeps.TryGetValue(parentRunId, out var sweep))
                    {
                        parentIsSweep = true;
                        sweep.Children.Add(status);
                        var experimentDir = Path.GetDirectoryName(dir)!;
                        if (sweep.Folder is null)
                        {
                            sweep.Folder = experimentDir;
                            WriteSweepSpool(parentRunId, sweep);
                        }
                        else if (sweep.Folder != experimentDir)
                            throw new ArgumentException($"the points of a sweep share one experiment folder: {dir} is not in {sweep.Folder}", nameof(runDirectory));
                    }
                }
            }
            var statePath = SpoolFile.StatePath(dir);
            var existing = SpoolFile.Read<RunSpool>(statePath);
            if (existing is null || existing.Target != _target.Key || existing.Experiment != _experiment)
            {
                SpoolFile.Write(statePath, new RunSpool
                {
                    Target = _target.Key,
                    Experiment = _experiment,
                    Status = status,
                    Parent = parentRunId,
                    ParentIsSweep = parentIsSweep,
                    Context = _context.Value,
                    Queued = Now(),
                    Token = Guid.NewGuid().ToString("N"),
                });
            }
            lock (_gate)
            {
                if (_ownSet.Add(dir)) _own.Add(dir);
            }
            Enqueue(new WorkItem(WorkKind.Run, dir));
            var root = Path.GetDirectoryName(Path.GetDirectoryName(dir)!)!;
            bool scan;
            lock (_gate) scan = _scanned.Add(root);
            if (scan) Enqueue(new WorkItem(WorkKind.Scan, root));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lock (_gate) _problems.Add($"{dir}: cannot write its tracking spool: {e.Message}");
        }
    }

    /// <summary>
    /// Ends the sweeps that have points, then waits up to <paramref name="timeout"/> for the queue to
    /// drain. Whatever is not sent stays spooled in its run folder. Returns a one-line summary, e.g.
    /// <c>mlflow: 3 runs logged to ./mlruns (experiment golden-gate-mini)</c> or <c>mlflow: server
    /// unreachable, 3 runs spooled; `runner tracking sync` replays them</c>.
    /// </summary>
    public async Task<string> FlushAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        EndSweeps();
        var stopped = await WaitIdleAsync(timeout, cancellationToken).ConfigureAwait(false);
        return Summary(stopped ? timeout : null);
    }

    /// <summary>Stops the writer (what is unsent stays spooled) and releases the clients.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _writer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        lock (_gate)
        {
            foreach (var client in _clients.Values) client.Dispose();
            _clients.Clear();
        }
        _stop.Dispose();
    }

    // True when the wait gave up (timeout or cancellation): the writer was stopped, the queue emptied
    // into the spools, and a fresh writer started for later calls.
    private async Task<bool> WaitIdleAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        Task idle;
        lock (_gate) idle = _outstanding == 0 ? Task.CompletedTask : _idle.Task;
        try
        {
            await idle.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return false;
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _writer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            while (_queue.Reader.TryRead(out var left))
            {
                // A sweep's end travels in its work item: keep it in the sweep file for the replay.
                if (left is { Kind: WorkKind.Sweep, End: { } end })
                    await _replayer.RecordSweepEndAsync(left.Path, end).ConfigureAwait(false);
                Done();
            }
            _stop.Dispose();
            _stop = new CancellationTokenSource();
            _writer = Task.Run(() => WriteLoopAsync(_stop.Token));
            return true;
        }
    }

    private void EndSweeps()
    {
        List<(string Token, Sweep Sweep)> ending;
        lock (_gate) ending = [.. _sweeps.Where(s => s.Value.Folder is not null && !s.Value.EndQueued).Select(s => (s.Key, s.Value))];
        foreach (var (token, sweep) in ending)
        {
            sweep.EndQueued = true;
            var status = sweep.Children.Contains("FAILED") ? "FAILED" : sweep.KilledAt is not null || sweep.Children.Contains("KILLED") ? "KILLED" : "FINISHED";
            Enqueue(new WorkItem(WorkKind.Sweep, SpoolFile.SweepPath(sweep.Folder!, token), (status, Math.Max(sweep.Started, sweep.KilledAt ?? Now()))));
        }
    }

    private void WriteSweepSpool(string token, Sweep sweep)
    {
        var path = SpoolFile.SweepPath(sweep.Folder!, token);
        if (File.Exists(path)) return;
        SpoolFile.Write(path, new SweepSpool
        {
            Target = _target!.Key,
            Experiment = _experiment,
            Name = sweep.Name,
            Tags = sweep.Tags,
            Context = _context.Value,
            Token = token,
            Started = sweep.Started,
            Host = ProcessLiveness.HostName,
            Pid = Environment.ProcessId,
            ProcessStart = ProcessLiveness.CurrentStartMarker,
        });
    }

    private void Enqueue(WorkItem item)
    {
        lock (_gate)
        {
            if (_outstanding++ == 0 && _idle.Task.IsCompleted) _idle = NewIdle();
        }
        if (!_queue.Writer.TryWrite(item))
        {
            // Full: the spool is on disk already, so the next replay sends it.
            lock (_gate) _problems.Add("the tracking queue was full; some runs stay spooled");
            Done();
        }
    }

    private void Done()
    {
        lock (_gate)
        {
            if (--_outstanding == 0) _idle.TrySetResult();
        }
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        while (await _queue.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_queue.Reader.TryRead(out var item))
            {
                try
                {
                    await ProcessAsync(item, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    Done();
                    throw;
                }
                catch (Exception e)
                {
                    // Tracking must never take the run down: even a bug only costs the record (still spooled).
                    lock (_gate) _problems.Add($"{item.Path}: {e.GetType().Name}: {e.Message}");
                }
                Done();
            }
        }
    }

    private async Task ProcessAsync(WorkItem item, CancellationToken cancellationToken)
    {
        switch (item.Kind)
        {
            case WorkKind.Run:
                {
                    var outcome = await _replayer.ReplayRunAsync(item.Path, TrackerFor, cancellationToken).ConfigureAwait(false);
                    if (outcome == RunOutcome.Logged && !IsOwn(item.Path)) lock (_gate) _replayed.Add(item.Path);
                    if (outcome == RunOutcome.Spooled) MarkDown(item.Path);
                    break;
                }
            case WorkKind.Sweep:
                await _replayer.ReplaySweepAsync(item.Path, TrackerFor, terminate: true, cancellationToken, item.End).ConfigureAwait(false);
                break;
            case WorkKind.Scan:
                Scan(item.Path);
                break;
        }
    }

    private void MarkDown(string runDirectory)
    {
        if (SpoolFile.Read<RunSpool>(SpoolFile.StatePath(runDirectory)) is { } spool)
            lock (_gate) _down.Add(spool.Target);
    }

    private bool IsOwn(string dir)
    {
        lock (_gate) return _ownSet.Contains(dir);
    }

    // Earlier spools in this runs folder: every run folder whose spool is not complete, and sweeps.
    private void Scan(string root)
    {
        foreach (var dir in RunFolder.Enumerate(root))
        {
            if (IsOwn(dir)) continue;
            if (SpoolFile.Read<RunSpool>(SpoolFile.StatePath(dir)) is not { Complete: false }) continue;
            lock (_gate)
            {
                if (!_replays.Add(dir)) continue;
            }
            Enqueue(new WorkItem(WorkKind.Run, dir));
        }
        if (!Directory.Exists(root)) return;
        foreach (var experimentDir in Directory.EnumerateDirectories(root).Where(d => !Path.GetFileName(d).StartsWith('.')))
        {
            var sweeps = Path.Combine(experimentDir, SpoolFile.Folder, "sweeps");
            if (!Directory.Exists(sweeps)) continue;
            foreach (var file in Directory.EnumerateFiles(sweeps, "*.json").Order(StringComparer.Ordinal))
            {
                var token = Path.GetFileNameWithoutExtension(file);
                bool own;
                lock (_gate) own = _sweeps.ContainsKey(token);
                if (!own && SpoolFile.Read<SweepSpool>(file) is { Complete: false }) Enqueue(new WorkItem(WorkKind.Sweep, file));
            }
        }
    }

    private IRunTracker TrackerFor(string key)
    {
        lock (_gate)
        {
            if (_down.Contains(key))
                throw new TrackingException(TrackingFailure.Unreachable, $"{key} did not answer earlier in this command; left spooled");
            if (_clients.TryGetValue(key, out var client)) return client;
            // The command's own target keeps credentials given in its URI; other targets take them from the environment.
            var target = _target is not null && _target.Key == key ? _target : TrackingTarget.FromKey(key, _workingDirectory);
            client = target.Open(_workingDirectory, _environment, _options);
            _clients[key] = client;
            return client;
        }
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static TaskCompletionSource NewIdle() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private enum WorkKind
    {
        Run,
        Sweep,
        Scan,
    }

    private sealed record WorkItem(WorkKind Kind, string Path, (string Status, long Time)? End = null);

    private sealed class Sweep
    {
        public required string Name { get; init; }

        public required Dictionary<string, string> Tags { get; init; }

        public required long Started { get; init; }

        public string? Folder { get; set; }

        public List<string> Children { get; } = [];

        public bool EndQueued { get; set; }

        public long? KilledAt { get; set; }
    }
}
