using System.CommandLine;
using Runner.Core;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Tables;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner tables PATH...</c>: (re)writes the Parquet tables of run folders (<c>tables/*.parquet</c>)
/// and, for an experiment folder, of each of its runs plus the experiment's <c>sweep.parquet</c>.
/// </summary>
public static class TablesCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Run folders (runs/<experiment>/<run>) or experiment folders (runs/<experiment>).", Arity = ArgumentArity.OneOrMore };
        var command = new Command("tables", "Write the Parquet tables of runs (tables/*.parquet) and experiments (sweep.parquet).") { paths };
        command.SetAction(r =>
        {
            foreach (var given in r.GetValue(paths)!)
            {
                var path = Path.GetFullPath(given, context.WorkingDirectory);
                if (File.Exists(Path.Combine(path, RunFolder.StagesFile)))
                {
                    Report(context, RunTables.Write(path));
                    continue;
                }
                if (!Directory.Exists(path)) throw new RunnerException($"{path}: no such folder", exitCode: 2);
                var runs = Directory.EnumerateDirectories(path)
                    .Where(d => !Path.GetFileName(d).StartsWith('.') && File.Exists(Path.Combine(d, RunFolder.StagesFile)))
                    .Order(StringComparer.Ordinal).ToList();
                if (runs.Count == 0) throw new RunnerException($"{path} is neither a run folder nor an experiment folder (no {RunFolder.StagesFile} in it or its subfolders)", exitCode: 2);
                foreach (var run in runs) Report(context, RunTables.Write(run));
                Report(context, [SweepTables.Write(path, runs)]);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Report(CliContext context, IReadOnlyList<string> files)
    {
        foreach (var f in files) context.Out.WriteLine($"wrote {Path.GetRelativePath(context.WorkingDirectory, f)}");
    }
}
