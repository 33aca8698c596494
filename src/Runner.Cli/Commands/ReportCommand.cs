using System.CommandLine;
using Runner.Core;
using Runner.Pipeline.Reports;
using Runner.Pipeline.Runs;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner report RUN_DIR|SWEEP_DIR</c>: (re)writes the HTML reports. A run folder (it has stages.json) gets
/// report.html; an experiment folder (its subfolders are runs) gets sweep.html and every run's report.html.
/// </summary>
public static class ReportCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var dir = new Argument<string>("RUN_DIR|SWEEP_DIR") { Description = "A run folder (runs/<experiment>/<run>) or an experiment folder (runs/<experiment>)." };
        var bands = new Option<string?>("--bands") { Description = "A seed band file (runner baseline --out): the sweep report marks differences within seed noise with its bands where the sweep itself has no seed dimension." };
        var command = new Command("report", "Write the self-contained HTML report of a run (report.html) or of a sweep (sweep.html and every run's report.html).") { dir, bands };
        command.SetAction(r =>
        {
            var given = r.GetValue(dir)!;
            var bandFile = r.GetValue(bands) is { } b ? (Lookup: Baseline.LoadBands(Path.GetFullPath(b, context.WorkingDirectory), b), Name: b) : default;
            foreach (var path in Write(Path.GetFullPath(given, context.WorkingDirectory), given, bandFile.Lookup, bandFile.Name))
                context.Out.WriteLine(Path.GetRelativePath(context.WorkingDirectory, path));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Writes the reports for <paramref name="path"/>; returns the files written (the sweep report first).</summary>
    public static IReadOnlyList<string> Write(string path, string shownAs, Func<RunRecord, string, Pipeline.Metrics.SeedBand?>? bands = null, string? bandsName = null)
    {
        if (File.Exists(path))
            throw new RunnerException($"{shownAs}: is a file; pass a run folder (runs/<experiment>/<run>) or an experiment folder (runs/<experiment>)", ExitCodes.Usage);
        if (!Directory.Exists(path))
            throw new RunnerException($"{shownAs}: no such folder; pass a run folder (runs/<experiment>/<run>) or an experiment folder (runs/<experiment>)", ExitCodes.Usage);
        if (File.Exists(Path.Combine(path, RunFolder.StagesFile))) return [RunReport.Write(path)];

        var runs = Runs(path);
        if (runs.Count > 0)
        {
            var written = new List<string> { SweepReport.Write(path, runs, bands, bandsName) };
            written.AddRange(runs.Select(RunReport.Write));
            return written;
        }
        // The runs root itself: its subfolders are experiments.
        if (Directory.EnumerateDirectories(path).Any(d => Runs(d).Count > 0))
            throw new RunnerException($"{shownAs}: holds experiment folders, not runs; pass one of them (e.g. {Path.Combine(shownAs, Path.GetFileName(Directory.EnumerateDirectories(path).First(d => Runs(d).Count > 0)))})", ExitCodes.Usage);
        throw new RunnerException($"{shownAs}: not a run folder (no {RunFolder.StagesFile}) and no subfolder is one; pass runs/<experiment>/<run> or runs/<experiment>", ExitCodes.Usage);
    }

    private static List<string> Runs(string experimentDirectory) =>
        Directory.EnumerateDirectories(experimentDirectory)
            .Where(d => !Path.GetFileName(d).StartsWith('.') && File.Exists(Path.Combine(d, RunFolder.StagesFile)))
            .Order(StringComparer.Ordinal)
            .ToList();
}
