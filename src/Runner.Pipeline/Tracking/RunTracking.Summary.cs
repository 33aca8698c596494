using Runner.Pipeline.Runs;

namespace Runner.Pipeline.Tracking;

/// <summary>The console summary and <c>runner tracking sync</c>.</summary>
public sealed partial class RunTracking
{
    /// <summary>
    /// Replays every spool under <paramref name="runsRoot"/> (run folders not yet logged, sweep parents
    /// not yet ended) to the target each one recorded, with credentials from <paramref name="environment"/>.
    /// </summary>
    public static async Task<TrackingSyncResult> SyncAsync(string runsRoot, string workingDirectory, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(runsRoot, workingDirectory);
        var tracking = new RunTracking(null, "", workingDirectory, environment, TrackingOptions.FromEnvironment(environment));
        await using (tracking.ConfigureAwait(false))
        {
            var pendingBefore = RunFolder.Enumerate(root).Where(d => SpoolFile.Read<RunSpool>(SpoolFile.StatePath(d)) is { Complete: false }).ToList();
            lock (tracking._gate) tracking._scanned.Add(root);
            tracking.Enqueue(new WorkItem(WorkKind.Scan, root));
            var interrupted = await tracking.WaitIdleAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
            var logged = new List<string>();
            var pending = new List<KeyValuePair<string, string>>();
            var rejected = new List<KeyValuePair<string, string>>();
            foreach (var dir in pendingBefore)
            {
                var spool = SpoolFile.Read<RunSpool>(SpoolFile.StatePath(dir));
                if (spool is null || spool.Complete) logged.Add(dir);
                else if (spool.Rejected) rejected.Add(new(dir, spool.Error ?? "refused"));
                else pending.Add(new(dir, spool.Error ?? (interrupted ? "interrupted" : "not sent")));
            }
            string summary;
            if (pendingBefore.Count == 0) summary = $"mlflow: nothing spooled under {root}";
            else
            {
                var parts = new List<string> { $"{logged.Count} spooled {Runs(logged.Count)} logged" };
                if (pending.Count > 0) parts.Add($"{pending.Count} still spooled ({pending[0].Value})");
                if (rejected.Count > 0) parts.Add($"{rejected.Count} rejected ({rejected[0].Value})");
                summary = "mlflow: " + string.Join("; ", parts);
            }
            lock (tracking._gate)
                if (tracking._problems.Count > 0) summary += $"; {tracking._problems[0]}";
            return new TrackingSyncResult { Logged = logged, Pending = pending, Rejected = rejected, Summary = summary };
        }
    }

    private string Summary(TimeSpan? gaveUpAfter)
    {
        List<string> own;
        List<string> problems;
        int replayed, replaysPending;
        lock (_gate)
        {
            own = [.. _own];
            problems = [.. _problems];
            replayed = _replayed.Count;
            replaysPending = _replays.Count(d => !_replayed.Contains(d));
        }
        int logged = 0, spooled = 0, rejected = 0;
        string? rejection = null;
        foreach (var dir in own)
        {
            var spool = SpoolFile.Read<RunSpool>(SpoolFile.StatePath(dir));
            if (spool is { Complete: true }) logged++;
            else if (spool is { Rejected: true })
            {
                rejected++;
                rejection ??= $"{spool.Error}; see {SpoolFile.StatePath(dir)}";
            }
            else spooled++;
        }
        var where = _target is null ? "" : $"{DisplayOf(_target)} (experiment {_experiment})";
        var parts = new List<string>();
        if (own.Count == 0 && replayed == 0 && replaysPending == 0 && problems.Count == 0) return "mlflow: nothing to log";
        var last = _replayer.LastTransient;
        var unreachable = last is null || last.Kind == TrackingFailure.Unreachable;
        if (spooled > 0 && logged == 0 && rejected == 0 && gaveUpAfter is null && unreachable)
            parts.Add($"server unreachable, {spooled} {Runs(spooled)} spooled; `runner tracking sync` replays {Them(spooled)}");
        else
        {
            if (logged > 0 || (spooled == 0 && rejected == 0)) parts.Add($"{logged} {Runs(logged)} logged to {where}");
            if (spooled > 0)
            {
                var why = gaveUpAfter is { } t ? $"not sent within {t.TotalSeconds:0.#} s" : unreachable ? "server unreachable" : $"last error: {last!.Message}";
                parts.Add($"{spooled} {Runs(spooled)} spooled ({why}); `runner tracking sync` replays {Them(spooled)}");
            }
        }
        if (rejected > 0) parts.Add($"{rejected} {Runs(rejected)} rejected: {rejection}");
        if (replayed > 0) parts.Add($"{replayed} earlier spooled {Runs(replayed)} replayed");
        if (replaysPending > 0 && spooled == 0) parts.Add($"{replaysPending} earlier spooled {Runs(replaysPending)} still spooled");
        if (problems.Count > 0) parts.Add(problems[0]);
        return "mlflow: " + string.Join("; ", parts);
    }

    private string DisplayOf(TrackingTarget target)
    {
        if (target.FileStore is not { } root) return target.Key;
        var relative = Path.GetRelativePath(_workingDirectory, root);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? root : "./" + relative;
    }

    private static string Runs(int n) => n == 1 ? "run" : "runs";

    private static string Them(int n) => n == 1 ? "it" : "them";
}
