using Runner.Pipeline.Caching;

namespace Runner.Pipeline.Tracking;

/// <summary>
/// Sends one spooled run folder (or sweep parent) to its target, step by step, saving the spool
/// after every confirmed step: experiment, create (found again by its token if a reply was lost),
/// params, tags, metrics (a batch whose reply was lost is reconciled against the target before it is
/// sent again), artifacts, terminal status. Transient failures are retried with exponential backoff;
/// when the attempts run out, the spool stays for the next replay.
/// </summary>
internal sealed class SpoolReplayer(TrackingOptions options)
{
    private const int MetricsPerBatch = 1000;
    private const int ParamsPerBatch = 100;
    private const int TagsPerBatch = 100;

    /// <summary>The last transient failure (for the summary).</summary>
    public TrackingException? LastTransient { get; private set; }

    /// <summary>Logs the run folder <paramref name="runDirectory"/> according to its spool.</summary>
    public async Task<RunOutcome> ReplayRunAsync(string runDirectory, Func<string, IRunTracker> trackerFor, CancellationToken cancellationToken)
    {
        var statePath = SpoolFile.StatePath(runDirectory);
        if (!File.Exists(statePath)) return RunOutcome.AlreadyLogged; // the folder is gone (replaced by a rerun, or deleted)
        using var gate = await TryLockAsync(statePath + ".lock", cancellationToken).ConfigureAwait(false);
        if (gate is null) return RunOutcome.Busy;
        var spool = SpoolFile.Read<RunSpool>(statePath);
        if (spool is null) return RunOutcome.AlreadyLogged;
        if (spool.Complete) return RunOutcome.AlreadyLogged;
        void Save() => SpoolFile.Write(statePath, spool);
        try
        {
            var tracker = trackerFor(spool.Target);
            spool.ExperimentId ??= await Retry(() => tracker.GetOrCreateExperimentAsync(spool.Experiment, cancellationToken), cancellationToken).ConfigureAwait(false);
            string? parentId = null;
            if (spool.Parent is { } parent)
            {
                if (!spool.ParentIsSweep) parentId = parent;
                else
                {
                    var sweepPath = SpoolFile.SweepPath(Path.GetDirectoryName(runDirectory)!, parent);
                    parentId = await EnsureSweepCreatedAsync(sweepPath, tracker, cancellationToken).ConfigureAwait(false);
                    if (parentId is null) return RunOutcome.Busy;
                }
            }
            var payload = RunPayload.Read(runDirectory, spool, parentId);
            if (spool.RunId is null)
            {
                var start = new MlflowRunStart { Token = spool.Token, Name = payload.Name, StartTime = payload.StartTime, UserId = spool.Context.User, Tags = payload.CreateTags };
                var handle = await Retry(async () =>
                {
                    var mayExist = spool.CreateAttempted;
                    spool.CreateAttempted = true;
                    Save();
                    return await tracker.CreateRunAsync(spool.ExperimentId, start, mayExist, cancellationToken).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
                spool.RunId = handle.RunId;
                spool.ArtifactUri = handle.ArtifactUri;
                Save();
            }
            var run = new MlflowRunHandle(spool.RunId, spool.ExperimentId, spool.ArtifactUri ?? "");

            while (spool.ParamsSent < payload.Params.Count)
            {
                var batch = payload.Params.Skip(spool.ParamsSent).Take(ParamsPerBatch).ToList();
                await Retry(() => tracker.LogBatchAsync(run, [], batch, [], false, cancellationToken), cancellationToken).ConfigureAwait(false);
                spool.ParamsSent += batch.Count;
                Save();
            }
            while (spool.TagsSent < payload.Tags.Count)
            {
                var batch = payload.Tags.Skip(spool.TagsSent).Take(TagsPerBatch).ToList();
                await Retry(() => tracker.LogBatchAsync(run, [], [], batch, false, cancellationToken), cancellationToken).ConfigureAwait(false);
                spool.TagsSent += batch.Count;
                Save();
            }
            var digest = payload.MetricsDigest;
            if (spool.MetricsDigest != digest)
            {
                // Not the list the counts refer to (or the first time): start over, reconciling every batch
                // with what the target already has when anything may have been sent before.
                spool.MetricsUncertain |= spool.MetricsSent > 0;
                spool.MetricsSent = 0;
                spool.MetricsDigest = digest;
                Save();
            }
            while (spool.MetricsSent < payload.Metrics.Count)
            {
                var batch = payload.Metrics.Skip(spool.MetricsSent).Take(MetricsPerBatch).ToList();
                await Retry(async () =>
                {
                    var mayBeLogged = spool.MetricsUncertain;
                    spool.MetricsUncertain = true;
                    Save();
                    try
                    {
                        await tracker.LogBatchAsync(run, batch, [], [], mayBeLogged, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TrackingException e) when (e.Kind == TrackingFailure.Unreachable)
                    {
                        spool.MetricsUncertain = mayBeLogged; // nothing left this machine
                        Save();
                        throw;
                    }
                    return true;
                }, cancellationToken).ConfigureAwait(false);
                spool.MetricsSent += batch.Count;
                spool.MetricsUncertain = false;
                Save();
            }
            if (spool.ArtifactsError is null)
            {
                var sent = spool.ArtifactsSent.ToHashSet(StringComparer.Ordinal);
                foreach (var (path, file) in payload.Artifacts)
                {
                    if (sent.Contains(path)) continue;
                    try
                    {
                        await Retry(() => tracker.UploadArtifactAsync(run, path, file, cancellationToken), cancellationToken).ConfigureAwait(false);
                    }
                    catch (TrackingException e) when (e.Kind == TrackingFailure.Rejected)
                    {
                        // The target cannot take artifacts (no artifact proxy, say): the run is still logged.
                        spool.ArtifactsError = e.Message;
                        Save();
                        break;
                    }
                    spool.ArtifactsSent.Add(path);
                    Save();
                }
            }
            await Retry(() => tracker.UpdateRunAsync(run, spool.Status, payload.EndTime, cancellationToken), cancellationToken).ConfigureAwait(false);
            spool.Complete = true;
            spool.Error = null;
            spool.Rejected = false;
            Save();
            return RunOutcome.Logged;
        }
        catch (TrackingException e)
        {
            spool.Error = e.Message;
            spool.Rejected = !e.Transient;
            if (e.Transient) LastTransient = e;
            Save();
            return e.Transient ? RunOutcome.Spooled : RunOutcome.Rejected;
        }
    }

    /// <summary>
    /// Creates the sweep's parent run if it has none yet; returns its MLflow id, or null when another
    /// process holds the sweep file.
    /// </summary>
    private async Task<string?> EnsureSweepCreatedAsync(string sweepPath, IRunTracker tracker, CancellationToken cancellationToken)
    {
        var existing = SpoolFile.Read<SweepSpool>(sweepPath)
            ?? throw new TrackingException(TrackingFailure.Rejected, $"the sweep file {sweepPath} is missing or unreadable, so the run cannot be linked to its parent");
        if (existing.RunId is { } known) return known;
        var outcome = await ReplaySweepAsync(sweepPath, _ => tracker, terminate: false, cancellationToken).ConfigureAwait(false);
        if (outcome == RunOutcome.Busy) return null;
        var after = SpoolFile.Read<SweepSpool>(sweepPath);
        return after?.RunId ?? throw new TrackingException(outcome == RunOutcome.Rejected ? TrackingFailure.Rejected : TrackingFailure.Uncertain,
            $"the sweep's parent run: {after?.Error ?? "not created"}");
    }

    /// <summary>
    /// Creates (and with <paramref name="terminate"/>, when the sweep has ended, terminates) a sweep's
    /// parent run. A sweep whose owning process died without ending it is ended as KILLED.
    /// </summary>
    public async Task<RunOutcome> ReplaySweepAsync(string sweepPath, Func<string, IRunTracker> trackerFor, bool terminate, CancellationToken cancellationToken,
        (string Status, long Time)? end = null)
    {
        using var gate = await TryLockAsync(sweepPath + ".lock", cancellationToken).ConfigureAwait(false);
        if (gate is null) return RunOutcome.Busy;
        var sweep = SpoolFile.Read<SweepSpool>(sweepPath);
        if (sweep is null || sweep.Complete) return RunOutcome.AlreadyLogged;
        void Save() => SpoolFile.Write(sweepPath, sweep);
        if (end is { } e0 && sweep.Ended is null)
        {
            sweep.Ended = e0.Time;
            sweep.Status = e0.Status;
            Save();
        }
        try
        {
            var tracker = trackerFor(sweep.Target);
            sweep.ExperimentId ??= await Retry(() => tracker.GetOrCreateExperimentAsync(sweep.Experiment, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (sweep.RunId is null)
            {
                var start = new MlflowRunStart
                {
                    Token = sweep.Token,
                    Name = sweep.Name,
                    StartTime = sweep.Started,
                    UserId = sweep.Context.User,
                    Tags =
                    [
                        new("mlflow.runName", sweep.Name),
                        new("mlflow.user", sweep.Context.User),
                        new("mlflow.source.name", sweep.Context.SourceName),
                        new("mlflow.source.type", "LOCAL"),
                    ],
                };
                var handle = await Retry(async () =>
                {
                    var mayExist = sweep.CreateAttempted;
                    sweep.CreateAttempted = true;
                    Save();
                    return await tracker.CreateRunAsync(sweep.ExperimentId, start, mayExist, cancellationToken).ConfigureAwait(false);
                }, cancellationToken).ConfigureAwait(false);
                sweep.RunId = handle.RunId;
                sweep.ArtifactUri = handle.ArtifactUri;
                Save();
            }
            var run = new MlflowRunHandle(sweep.RunId, sweep.ExperimentId, sweep.ArtifactUri ?? "");
            if (!sweep.TagsSent)
            {
                var tags = sweep.Tags.Select(t => KeyValuePair.Create(MlflowKeys.Sanitize(t.Key), MlflowKeys.Truncate(t.Value, MlflowKeys.MaxTagValue, "cut to MLflow's tag limit")))
                    .Append(new("runner.version", sweep.Context.RunnerVersion))
                    .Append(new("runner.sweep", "true"));
                if (sweep.Context.GitCommit is { } commit) tags = tags.Append(new("mlflow.source.git.commit", commit));
                if (sweep.Context.GitDirty is { } dirty) tags = tags.Append(new("runner.git_dirty", dirty ? "true" : "false"));
                foreach (var chunk in tags.DistinctBy(t => t.Key).Chunk(TagsPerBatch))
                    await Retry(() => tracker.LogBatchAsync(run, [], [], chunk, false, cancellationToken), cancellationToken).ConfigureAwait(false);
                sweep.TagsSent = true;
                Save();
            }
            if (!terminate) return RunOutcome.Spooled;
            if (sweep.Ended is null)
            {
                if (sweep.Host == ProcessLiveness.HostName && ProcessLiveness.IsAlive(sweep.Pid, sweep.ProcessStart)) return RunOutcome.Spooled;
                if (sweep.Host != ProcessLiveness.HostName) return RunOutcome.Spooled;
                sweep.Ended = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                sweep.Status = "KILLED"; // its process died before the sweep ended
                Save();
            }
            await Retry(() => tracker.UpdateRunAsync(run, sweep.Status ?? "FINISHED", sweep.Ended.Value, cancellationToken), cancellationToken).ConfigureAwait(false);
            sweep.Complete = true;
            sweep.Error = null;
            Save();
            return RunOutcome.Logged;
        }
        catch (TrackingException e)
        {
            sweep.Error = e.Message;
            if (e.Transient) LastTransient = e;
            Save();
            return e.Transient ? RunOutcome.Spooled : RunOutcome.Rejected;
        }
    }

    /// <summary>Writes a sweep's end into its file (when it has none) without sending anything.</summary>
    public async Task RecordSweepEndAsync(string sweepPath, (string Status, long Time) end)
    {
        using var gate = await TryLockAsync(sweepPath + ".lock", CancellationToken.None).ConfigureAwait(false);
        if (gate is null || SpoolFile.Read<SweepSpool>(sweepPath) is not { Ended: null } sweep) return;
        sweep.Ended = end.Time;
        sweep.Status = end.Status;
        SpoolFile.Write(sweepPath, sweep);
    }

    private async Task<T> Retry<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call().ConfigureAwait(false);
            }
            catch (TrackingException e) when (e.Transient && attempt < options.MaxAttempts)
            {
                LastTransient = e;
                var delay = options.Backoff * Math.Pow(2, attempt - 1) * (0.8 + 0.4 * Random.Shared.NextDouble());
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task Retry(Func<Task> call, CancellationToken cancellationToken) =>
        await Retry(async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    private async Task<CacheLock?> TryLockAsync(string path, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(options.LockWait);
        try
        {
            return await CacheLock.AcquireAsync(path, new LockOptions(), null, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}
