using System.CommandLine;
using Runner.Core;
using Runner.Core.IO;
using Runner.Pipeline.Runs;

namespace Runner.Cli.Commands;

/// <summary><c>runner export RUN_DIR --format saelens OUT_DIR</c>: a run's trained SAE, in a format other tools load.</summary>
public static class ExportCommand
{
    /// <summary>Where the train stage leaves its SAE, relative to the run folder.</summary>
    public static readonly string TrainedSaePath = Path.Combine(RunFolder.StagesFolder, "train", "sae");

    // One exporter per format: reads the run's SAE folder, fills an empty folder, returns a one-line summary.
    private static readonly IReadOnlyDictionary<string, Func<string, string, string>> Exporters =
        new Dictionary<string, Func<string, string, string>>(StringComparer.Ordinal)
        {
            ["saelens"] = ExportSaeLens,
        };

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var run = new Argument<string>("RUN_DIR") { Description = "A run folder (runs/<experiment>/<run>) whose train stage finished." };
        var output = new Argument<string>("OUT_DIR") { Description = "The folder to write (created; must be empty unless --force)." };
        var format = new Option<string>("--format") { Description = "saelens: SAELens v6 (cfg.json, sae_weights.safetensors, sparsity.safetensors).", DefaultValueFactory = _ => "saelens" };
        format.AcceptOnlyFromAmong([.. Exporters.Keys]);
        var force = new Option<bool>("--force") { Description = "Replace OUT_DIR even if it is not empty." };
        var command = new Command("export", "Export a run's trained SAE in a format other tools load.") { run, output, format, force };
        command.SetAction(r =>
        {
            var runDir = Path.GetFullPath(r.GetValue(run)!, context.WorkingDirectory);
            var outDir = Path.GetFullPath(r.GetValue(output)!, context.WorkingDirectory).TrimEnd(Path.DirectorySeparatorChar);
            var record = RunFolder.Read(runDir);
            var source = Path.Combine(runDir, TrainedSaePath);
            if (!Directory.Exists(source))
                throw new RunnerException($"{runDir} has no trained SAE ({TrainedSaePath} is missing): its train stage did not run or wrote no SAE", exitCode: 2);
            if (File.Exists(outDir))
                throw new RunnerException($"{outDir} is a file; name a folder to export to", exitCode: 2);
            if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !r.GetValue(force))
                throw new RunnerException($"{outDir} exists and is not empty; pass --force to replace it", exitCode: 2);
            if (Path.GetFullPath(source).StartsWith(outDir + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.GetFullPath(source) == outDir)
                throw new RunnerException($"{outDir} contains the run's SAE; export somewhere else", exitCode: 2);

            var summary = Publish(outDir, temp => Exporters[r.GetValue(format)!](source, temp));
            context.Out.WriteLine($"exported {summary} of {record.Experiment} / {record.RunName} to {outDir}");
            return ExitCodes.Ok;
        });
        return command;
    }

    // Verifies the run's SAE loads, copies its folder, and verifies the copy loads too.
    private static string ExportSaeLens(string source, string destination)
    {
        try
        {
            SaeLensFolder.Inspect(source);
        }
        catch (RunnerException e)
        {
            throw new RunnerException($"the run's SAE cannot be loaded: {e.Message}", inner: e);
        }
        CopyTree(source, destination);
        using var loaded = SaeLensFolder.Load(destination);
        var c = loaded.Config;
        return $"{c.Architecture} SAE (d_in {c.DIn}, d_sae {c.DSae}{(c.K is { } k ? $", k {k}" : "")}) as SAELens v6";
    }

    // Fills a temp folder beside the destination and swaps it in: the destination is never half-written.
    private static string Publish(string destination, Func<string, string> fill)
    {
        var parent = Path.GetDirectoryName(destination)!;
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(destination);
        var temp = Path.Combine(parent, $".tmp.{name}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            var summary = fill(temp);
            string? old = null;
            if (Directory.Exists(destination))
            {
                old = Path.Combine(parent, $".old.{name}.{Guid.NewGuid():N}");
                Directory.Move(destination, old);
            }
            Directory.Move(temp, destination);
            if (old is not null) DeleteTree(old);
            return summary;
        }
        finally
        {
            DeleteTree(temp);
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.EnumerateDirectories(from)) CopyTree(dir, Path.Combine(to, Path.GetFileName(dir)));
    }

    private static void DeleteTree(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
