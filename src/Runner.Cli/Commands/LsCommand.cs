using System.CommandLine;
using Runner.Cli.Rendering;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Stages;

namespace Runner.Cli.Commands;

/// <summary><c>runner ls</c>: the run folders under the runs root.</summary>
public static class LsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var runsDir = new Option<string?>("--runs-dir") { Description = "The runs root (default: runs)." };
        var command = new Command("ls", "List runs: experiment, run, when, stages computed and cached (and the stage a failed or killed run stopped at).") { runsDir };
        command.SetAction(r =>
        {
            var root = RunFolder.ResolveRoot(r.GetValue(runsDir), context.WorkingDirectory);
            var rows = new List<string[]>();
            foreach (var dir in RunFolder.Enumerate(root))
            {
                RunRecord record;
                try { record = RunFolder.Read(dir); }
                catch (Core.RunnerException e) { context.Error.WriteLine($"warning: {e.Message}"); continue; }
                var computed = record.Stages.Count(s => s.Status == StageStatus.Computed);
                var cached = record.Stages.Count(s => s.Status == StageStatus.Cached);
                var failed = record.Stages.FirstOrDefault(s => s.Status is StageStatus.Failed or StageStatus.Killed);
                rows.Add([record.Experiment, record.RunName, record.Finished.ToLocalTime().ToString("yyyy-MM-dd HH:mm"),
                    $"{computed} computed, {cached} cached" + (record.Error is not null ? $"; {record.Status.ToUpperInvariant()} at {failed?.Name ?? "a stage"}" : ""), record.Metrics.Count.ToString(), Path.GetRelativePath(context.WorkingDirectory, dir)]);
            }
            if (rows.Count == 0)
            {
                context.Out.WriteLine($"no runs under {root}");
                return ExitCodes.Ok;
            }
            TextTable.Write(context.Out, ["experiment", "run", "finished", "stages", "metrics", "folder"], rows);
            return ExitCodes.Ok;
        });
        return command;
    }
}
