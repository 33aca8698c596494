using System.CommandLine;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Tracking;

namespace Runner.Cli.Commands;

/// <summary><c>runner tracking sync</c>: replay MLflow records spooled while the tracking server was unreachable.</summary>
public static class TrackingCommand
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliContext context)
    {
        var command = new Command("tracking", "MLflow tracking of run folders.");
        command.Subcommands.Add(Sync(context));
        return command;
    }

    private static Command Sync(CliContext context)
    {
        var runsDir = new Option<string?>("--runs-dir") { Description = "The runs folder to scan (default: runs)." };
        var command = new Command("sync", "Send what tracking spooled (run folders not yet logged, sweep parents not yet ended) to the MLflow target each one recorded; credentials from MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD.") { runsDir };
        command.SetAction(r =>
        {
            var root = RunFolder.ResolveRoot(r.GetValue(runsDir), context.WorkingDirectory);
            var result = RunTracking.SyncAsync(root, context.WorkingDirectory, context.GetEnvironment, context.Cancellation).GetAwaiter().GetResult();
            foreach (var (dir, error) in result.Pending) context.Error.WriteLine($"still spooled: {Path.GetRelativePath(context.WorkingDirectory, dir)}: {error}");
            foreach (var (dir, error) in result.Rejected) context.Error.WriteLine($"rejected: {Path.GetRelativePath(context.WorkingDirectory, dir)}: {error}");
            context.Out.WriteLine(result.Summary);
            return result.Pending.Count + result.Rejected.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }
}
