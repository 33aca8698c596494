using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

/// <summary>
/// Runs points through the stage graph against the cache and writes their run folders. Within one
/// call every (stage, key) is resolved once, however many points need it; across processes the cache
/// locks make it computed once. A stage's output is reused when its entry verifies, computed under
/// the key's lock otherwise, and published by an atomic rename.
/// </summary>
public sealed partial class PipelineExecutor
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly StageGraph _graph;
    private readonly StageCache _cache;
    private readonly PipelineOptions _options;
    private readonly IProgress<PipelineEvent>? _events;

    /// <summary>An executor of <paramref name="graph"/> over <paramref name="cache"/>, reporting to <paramref name="events"/>.</summary>
    public PipelineExecutor(StageGraph graph, StageCache cache, PipelineOptions options, IProgress<PipelineEvent>? events = null)
    {
        _graph = graph;
        _cache = cache;
        _options = options;
        _events = events;
    }

    /// <summary>
    /// Runs the selected points (all, or <see cref="PipelineOptions.Point"/>). Stage failures are in the
    /// report (<see cref="ExecutionReport.ThrowIfFailed"/>); cancellation throws
    /// <see cref="PipelineCancelledException"/> (an <see cref="OperationCanceledException"/>) after every
    /// running stage has stopped, removed its temp output and released its lock, and every interrupted point
    /// has written a run folder with status killed; its report says which points finished, were killed or
    /// never started.
    /// </summary>
    public async Task<ExecutionReport> RunAsync(IReadOnlyList<ResolvedPoint> points, CancellationToken cancellationToken)
    {
        var selected = Select(points);
        var forced = Forced();
        var shared = new ConcurrentDictionary<string, Lazy<Task<Resolution>>>(StringComparer.Ordinal);
        // Every key of every point, before anything runs: a bad spec (a stage's planning checks) stops here, and
        // grouped stages learn which points share a pass.
        var groups = Groups(selected);
        var reports = new PointReport[selected.Count];
        var failed = 0;
        var cancelled = 0;
        var clock = new CancelClock();
        using var registration = cancellationToken.Register(clock.Mark);

        void NotStarted(int i) // cancelled before this point began: no run folder
        {
            reports[i] = new PointReport { Point = selected[i], Skipped = true };
            Interlocked.Increment(ref cancelled);
        }

        async Task RunOne(int i)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                NotStarted(i);
                return;
            }
            // A point whose grouped stage already ran with the others (one pass for all) still finishes: one member's
            // failure (a diverging SAE) fails that point only.
            if (!_options.KeepGoing && Volatile.Read(ref failed) > 0 && !groups.Started(selected[i]))
            {
                reports[i] = new PointReport { Point = selected[i], Skipped = true };
                return;
            }
            reports[i] = await RunPointAsync(selected[i], forced, shared, groups, clock, cancellationToken).ConfigureAwait(false);
            if (reports[i].Error is not null) Interlocked.Increment(ref failed);
            if (reports[i].Killed) Interlocked.Increment(ref cancelled);
        }

        if (_options.MaxParallelPoints <= 1)
        {
            for (var i = 0; i < selected.Count; i++) await RunOne(i).ConfigureAwait(false);
        }
        else
        {
            using var gate = new SemaphoreSlim(_options.MaxParallelPoints);
            await Task.WhenAll(Enumerable.Range(0, selected.Count).Select(async i =>
            {
                try
                {
                    await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    NotStarted(i);
                    return;
                }
                try
                {
                    await RunOne(i).ConfigureAwait(false);
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);
        }
        var report = new ExecutionReport { Points = reports };
        if (Volatile.Read(ref cancelled) > 0) throw new PipelineCancelledException(report, clock.At, cancellationToken);
        return report;
    }

    private async Task<PointReport> RunPointAsync(ResolvedPoint point, IReadOnlySet<string> forced,
        ConcurrentDictionary<string, Lazy<Task<Resolution>>> shared, StageGroups groups, CancelClock cancelClock, CancellationToken ct)
    {
        Emit(new PointStarted { PointIndex = point.Index, RunName = point.RunName });
        var started = DateTimeOffset.UtcNow;
        var done = new Dictionary<string, Resolution>(StringComparer.Ordinal);
        var stages = new List<RunStage>();
        (string Stage, string Key, Stopwatch Clock)? current = null;
        try
        {
            foreach (var stage in _graph.Stages)
            {
                if (!stage.AppliesTo(point)) continue;
                ct.ThrowIfCancellationRequested();
                var inputs = stage.InputsFor(point).Where(done.ContainsKey).ToDictionary(n => n, n => done[n], StringComparer.Ordinal);
                var slice = stage.SpecSlice(point);
                var key = StageKey.Compute(stage.Name, stage.Version, SpecSlices.Without(slice, stage.ExcludedFields),
                    inputs.ToDictionary(p => p.Key, p => p.Value.Entry.Key), _options.EnvironmentFingerprint);
                var clock = Stopwatch.StartNew();
                current = (stage.Name, key, clock);
                var group = groups.Of(point, stage.Name);
                var mine = new Lazy<Task<Resolution>>(() => Task.Run(() => group is null
                    ? ResolveAsync(point, stage, key, slice, inputs, forced.Contains(stage.Name), ct)
                    : ResolveInGroupAsync(group, point, key, forced.Contains(stage.Name), shared, forced, ct), ct));
                var lazy = shared.GetOrAdd($"{stage.Name}/{key}", mine);
                var resolution = await lazy.Value.ConfigureAwait(false);
                // Only the point that resolved a key reports it computed; the others reused it.
                var status = ReferenceEquals(lazy, mine) ? resolution.Status : StageStatus.Cached;
                done[stage.Name] = resolution;
                var metrics = resolution.Entry.Manifest.Metrics;
                stages.Add(new RunStage
                {
                    Name = stage.Name, Key = key, Status = status, Seconds = clock.Elapsed.TotalSeconds, Entry = resolution.Entry.Directory, Metrics = metrics, Links = stage.RunLinks,
                    Stream = group?.Id, Passes = group is null ? null : metrics.TryGetValue("passes", out var passes) ? (int)passes : null,
                });
                Emit(new StageFinished
                {
                    PointIndex = point.Index, RunName = point.RunName, Stage = stage.Name, Key = key,
                    Status = status, Seconds = clock.Elapsed.TotalSeconds, Entry = resolution.Entry.Directory, Metrics = metrics,
                });
            }
        }
        catch (StageFailedException e)
        {
            // A failed point gets a run folder too (written atomically like any other): the stages that
            // completed, the failed one with its error, and their metrics, so it can be listed and tracked.
            return Ended(StageStatus.Failed, e.InnerException?.Message ?? e.Message, e, null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Cancelled (Ctrl-C) like a failure: the completed stages, the interrupted one marked killed, ending
            // when cancellation was requested. The interrupted stage left no cache entry, so a rerun resumes.
            var at = cancelClock.At;
            return Ended(StageStatus.Killed, RunRecord.CancelledError, null, at < started ? started : at);
        }

        // The run folder of a point that did not complete: the completed stages, then the one that failed or was
        // interrupted (no entry), with the error; Killed when there is no failure.
        PointReport Ended(StageStatus status, string stageError, StageFailedException? failure, DateTimeOffset? finished)
        {
            if (current is { } last && (stages.Count == 0 || stages[^1].Name != last.Stage))
                stages.Add(new RunStage { Name = last.Stage, Key = last.Key, Status = status, Seconds = last.Clock.Elapsed.TotalSeconds, Entry = "", Error = stageError });
            var record = Record(point, started, stages) with { Error = failure?.Message ?? RunRecord.CancelledError, Killed = failure is null };
            if (finished is { } end) record = record with { Finished = end };
            string? directory = null;
            try
            {
                directory = RunFolder.Write(_options.RunsDirectory, record, ResolvedYaml(point));
            }
            catch (Exception io) when (io is IOException or UnauthorizedAccessException)
            {
                Emit(new PipelineMessage { Level = MessageLevel.Warning, Text = $"the run folder of the {record.Status} point was not written: {io.Message}", PointIndex = point.Index, RunName = point.RunName });
            }
            Emit(new PointFinished { PointIndex = point.Index, RunName = point.RunName, Error = failure, Killed = record.Killed, RunDirectory = directory });
            return new PointReport { Point = point, Error = failure, Killed = record.Killed, Record = directory is null ? null : record, RunDirectory = directory };
        }

        var record = Record(point, started, stages);
        var directory = RunFolder.Write(_options.RunsDirectory, record, ResolvedYaml(point));
        Emit(new PointFinished { PointIndex = point.Index, RunName = point.RunName, RunDirectory = directory });
        return new PointReport { Point = point, Record = record, RunDirectory = directory };
    }

    private RunRecord Record(ResolvedPoint point, DateTimeOffset started, List<RunStage> stages) => new()
    {
        Experiment = point.Experiment,
        RunName = point.RunName,
        Point = point.Index,
        SpecHash = point.SpecHash,
        Environment = _options.EnvironmentFingerprint,
        RunnerVersion = _options.RunnerVersion,
        GitCommit = _options.GitCommit,
        Varied = point.Varied,
        Started = started,
        Finished = DateTimeOffset.UtcNow,
        Stages = stages,
        MetricDefinitions = Metrics.MetricCatalog.VersionsFor(stages.SelectMany(s => s.Metrics.Keys.Select(k => $"{s.Name}.{k}"))),
    };

    private string ResolvedYaml(ResolvedPoint point) => _options.ResolvedYaml?.Invoke(point) ?? point.Json.ToJsonString(Indented) + "\n";

    /// <summary>Gets one stage's entry for a point: a verified hit, or a computation under the key's lock.</summary>
    private async Task<Resolution> ResolveAsync(ResolvedPoint point, IStage stage, string key, JsonNode? slice,
        IReadOnlyDictionary<string, Resolution> inputs, bool forced, CancellationToken ct)
    {
        void Warn(string text) => Emit(new PipelineMessage { Level = MessageLevel.Warning, Text = text, PointIndex = point.Index, RunName = point.RunName, Stage = stage.Name });

        if (!forced && _cache.TryGet(stage.Name, key, Warn) is { } hit) return new Resolution(hit, StageStatus.Cached);
        using var held = await _cache.LockAsync(stage.Name, key,
            holder => Emit(new StageWaiting { PointIndex = point.Index, RunName = point.RunName, Stage = stage.Name, Key = key, Holder = holder }),
            ct).ConfigureAwait(false);
        // Whoever held the lock before us has probably just published the entry.
        if (!forced && _cache.TryGet(stage.Name, key, Warn) is { } late) return new Resolution(late, StageStatus.Cached);

        Emit(new StageStarted { PointIndex = point.Index, RunName = point.RunName, Stage = stage.Name, Key = key, Forced = forced });
        using var pending = _cache.BeginWrite(stage.Name, key);
        var context = Context(point, stage, key, slice, inputs, pending, ct);
        StageResult result;
        try
        {
            result = await stage.RunAsync(context, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"stage {stage.Name} returned no result");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            throw; // the pending folder is deleted and the lock released on the way out
        }
        catch (Exception e)
        {
            throw new StageFailedException(stage.Name, point, e);
        }
        if (held.Lost) Warn($"the lock for {stage.Name}/{StageCache.Short(key)} was taken over by another process that judged it stale; publishing atomically anyway");
        try
        {
            return Publish(stage, key, slice, inputs, result, pending, context, forced, Warn);
        }
        catch (InvalidOperationException e)
        {
            throw new StageFailedException(stage.Name, point, e); // e.g. the stage wrote a symbolic link
        }
    }

    private StageContext Context(ResolvedPoint point, IStage stage, string key, JsonNode? slice, IReadOnlyDictionary<string, Resolution> inputs,
        PendingEntry pending, CancellationToken ct) => new()
    {
        Point = point,
        Stage = stage.Name,
        Key = key,
        Slice = slice?.DeepClone(),
        OutputDirectory = pending.OutputDirectory,
        Inputs = inputs.ToDictionary(p => p.Key, p => new StageInput
        {
            Stage = p.Key,
            Key = p.Value.Entry.Key,
            Directory = p.Value.Entry.Directory,
            Metrics = p.Value.Entry.Manifest.Metrics,
            Notes = p.Value.Entry.Manifest.Notes,
        }, StringComparer.Ordinal),
        Events = _events,
        CancellationToken = ct,
        CheckpointDirectory = _cache.CheckpointDirectory(stage.Name, key),
    };

    // The manifest, the atomic publish, and the end of the computation's checkpoints.
    private Resolution Publish(IStage stage, string key, JsonNode? slice, IReadOnlyDictionary<string, Resolution> inputs, StageResult result,
        PendingEntry pending, StageContext context, bool forced, Action<string> warn)
    {
        var draft = new CacheManifest
        {
            Stage = stage.Name,
            Key = key,
            Version = stage.Version,
            Inputs = inputs.ToDictionary(p => p.Key, p => p.Value.Entry.Key, StringComparer.Ordinal),
            Environment = _options.EnvironmentFingerprint,
            Slice = SpecSlices.Without(slice, stage.ExcludedFields),
            Metrics = result.Metrics,
            Notes = result.Notes,
        };
        var committed = new Resolution(_cache.Commit(pending, draft, replaceExisting: forced, warn), StageStatus.Computed);
        if (context.CheckpointDirectory is { } checkpoints && Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
        return committed;
    }

    private List<ResolvedPoint> Select(IReadOnlyList<ResolvedPoint> points)
    {
        if (_options.Point is not { } index) return points.ToList();
        var match = points.Where(p => p.Index == index).ToList();
        if (match.Count == 0)
            throw new RunnerException($"--point {index}: the spec has {points.Count} point{(points.Count == 1 ? "" : "s")} (indices 0 to {points.Count - 1})", exitCode: 2);
        return match;
    }

    private IReadOnlySet<string> Forced() =>
        _options.NoCache ? _graph.Stages.Select(s => s.Name).ToHashSet(StringComparer.Ordinal) : _graph.WithDownstream(_options.Force);

    private void Emit(PipelineEvent e) => _events?.Report(e);

    /// <summary>When cancellation was first requested (UTC), or now if it has not been.</summary>
    private sealed class CancelClock
    {
        private long _ticks;

        public void Mark() => Interlocked.CompareExchange(ref _ticks, DateTimeOffset.UtcNow.UtcTicks, 0);

        public DateTimeOffset At => Interlocked.Read(ref _ticks) is var t and > 0 ? new DateTimeOffset(t, TimeSpan.Zero) : DateTimeOffset.UtcNow;
    }

    /// <summary>A stage's entry as one point obtained it.</summary>
    private sealed record Resolution(CacheEntry Entry, StageStatus Status);
}
