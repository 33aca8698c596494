using Runner.Core;
using Runner.Pipeline.Reports;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Pipeline.Tables;
using Runner.Pipeline.Tracking;

namespace Runner.Cli.Commands;

/// <summary>
/// What `runner run` derives from the run folders once every point has run (a failed point's folder included), or once
/// a cancelled run has stopped (the folders of the points that finished and of the interrupted ones): each run's Parquet
/// tables and HTML report and, for a sweep, the sweep table and report; then MLflow tracking of every run folder,
/// FINISHED, FAILED or KILLED (a sweep is a parent run with a child per point), sent by a background writer and spooled
/// under the run folders when the server is unreachable (`runner tracking sync` replays). The runs' results are already
/// safe in their folders, so a failure here is a warning that names what failed and how to redo it (`runner report`),
/// never a failed run.
/// </summary>
internal static class RunOutputs
{
    public static void Write(CliContext context, LoadedExperiment experiment, ExecutionReport report, DateTimeOffset? cancelledAt = null)
    {
        var points = report.Points.Where(p => p.RunDirectory is not null).ToList();
        var runs = points.Select(p => p.RunDirectory!).ToList();
        if (runs.Count == 0) return;
        foreach (var run in runs)
        {
            Try(context, $"tables of {Relative(context, run)}", () => RunTables.Write(run));
            Try(context, $"report of {Relative(context, run)}", () => RunReport.Write(run));
        }
        var sweep = Path.GetDirectoryName(runs[0])!;
        if (experiment.Points.Count > 1)
        {
            Try(context, $"sweep table of {Relative(context, sweep)}", () => SweepTables.Write(sweep, runs));
            Try(context, $"sweep report of {Relative(context, sweep)}", () => SweepReport.Write(sweep, runs));
        }
        var shown = experiment.Points.Count > 1 ? Path.Combine(sweep, SweepReport.FileName) : Path.Combine(runs[0], RunReport.FileName);
        if (File.Exists(shown)) context.Out.WriteLine($"  report: {Relative(context, shown)}");
        Track(context, experiment, points, sweep, cancelledAt);
    }

    /// <summary>How long `runner run` waits for the tracker at the end before spooling what is left.</summary>
    private static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The same after Ctrl-C: short, so the user is not kept waiting (a second Ctrl-C still ends the process at once).</summary>
    private static readonly TimeSpan CancelledFlushTimeout = TimeSpan.FromSeconds(10);

    private static void Track(CliContext context, LoadedExperiment experiment, List<PointReport> points, string sweep, DateTimeOffset? cancelledAt)
    {
        var spec = experiment.Points[0].Spec;
        var tracking = RunTracking.Create(spec.Tracking, spec.Tracking.Mlflow?.Experiment ?? experiment.Name, context.WorkingDirectory, context.GetEnvironment);
        if (tracking is null) return;
        try
        {
            var parent = experiment.Points.Count > 1
                ? tracking.StartSweep(Path.GetFileName(sweep), new Dictionary<string, string> { ["runner.experiment"] = experiment.Name })
                : null;
            // A failed or killed point's folder records why (stages.json "error" becomes the tag runner.error);
            // the sweep parent then ends FAILED, else KILLED (also when the run was cancelled between points).
            foreach (var point in points) tracking.Log(point.RunDirectory!, point.Error is not null ? "FAILED" : point.Killed ? "KILLED" : "FINISHED", parent);
            if (cancelledAt is { } at && parent is not null) tracking.MarkSweepKilled(parent, at);
            // After Ctrl-C the command's token is already cancelled: flush on a short timeout of its own instead,
            // leaving what is not sent by then spooled for the next run or `runner tracking sync`.
            var flushed = cancelledAt is not null
                ? tracking.FlushAsync(CancelledFlushTimeout, CancellationToken.None)
                : tracking.FlushAsync(FlushTimeout, context.Cancellation);
            context.Out.WriteLine("  " + flushed.GetAwaiter().GetResult());
        }
        finally
        {
            tracking.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static void Try(CliContext context, string what, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e) when (e is RunnerException or IOException or UnauthorizedAccessException)
        {
            context.Error.WriteLine($"warning: {what} not written: {e.Message} (the run itself is complete; `runner report` retries)");
        }
    }

    private static string Relative(CliContext context, string path) => Path.GetRelativePath(context.WorkingDirectory, path);
}
