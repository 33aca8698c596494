using System.Diagnostics;
using System.Globalization;
using System.Text;
using Runner.Core;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Cli.Commands;

/// <summary>
/// How `runner run` hands the points of a sweep to other processes: <c>--executor local --jobs N</c> (N child processes
/// here) or <c>--executor slurm</c> (one Slurm job array). Each child runs <c>runner run SPEC --point I</c> with the same
/// <c>--set</c>, cache and runs folder, and <see cref="ChildVariable"/> set: a child writes its run folder only (no
/// tables, reports or MLflow); the parent, once every point has ended, reads the run folders back
/// (<see cref="ReportFromFolders"/>) and writes the sweep outputs and MLflow (a parent run with a child per point) once.
/// Stages shared by points (one capture) are computed once: the children coordinate through the cache's lock files.
/// </summary>
internal static class RunExecutors
{
    /// <summary>Set (to 1) in every child's environment: write the run folder, skip tables, reports and tracking.</summary>
    public const string ChildVariable = "RUNNER_EXECUTOR_CHILD";

    /// <summary>True in a child process started by an executor.</summary>
    public static bool IsChild(CliContext context) => context.GetEnvironment(ChildVariable) is "1";

    /// <summary>The child command: program and leading arguments (the .NET host and runner.dll).</summary>
    public static (string Program, List<string> Args) Self(CliContext context)
    {
        var dll = typeof(RunCommand).Assembly.Location;
        var process = Environment.ProcessPath ?? "dotnet";
        // The app's own executable (an apphost, or a self-contained bundle's runner) runs itself: no dotnet needed.
        if (Path.GetFileNameWithoutExtension(process) == Path.GetFileNameWithoutExtension(dll)) return (process, []);
        var host = Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? process
            : context.GetEnvironment("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
        return (host, [dll]);
    }

    /// <summary>The arguments of <c>runner run</c> for one point (without the point index).</summary>
    public sealed record ChildRun(string Spec, IReadOnlyList<string> Sets, string? Device, string CacheDir, string RunsDir, bool NoCache, IReadOnlyList<string> Force)
    {
        /// <summary>The arguments after the program, for point <paramref name="point"/> (a literal like <c>$SLURM_ARRAY_TASK_ID</c> for Slurm).</summary>
        public List<string> Arguments(string point)
        {
            var a = new List<string> { "run", Spec, "--point", point, "--cache-dir", CacheDir, "--runs-dir", RunsDir };
            foreach (var s in Sets) a.AddRange(["--set", s]);
            if (Device is not null) a.AddRange(["--device", Device]);
            if (NoCache) a.Add("--no-cache");
            foreach (var f in Force) a.AddRange(["--force", f]);
            return a;
        }
    }

    /// <summary>The sweep folder <c>runs/&lt;experiment&gt;</c>.</summary>
    public static string SweepFolder(string runsRoot, LoadedExperiment experiment) =>
        Path.GetDirectoryName(RunFolder.PathFor(runsRoot, experiment.Name, "x"))!;

    /// <summary>Runs every point in up to <paramref name="jobs"/> child processes; logs in <c>runs/&lt;exp&gt;/.logs/&lt;point&gt;.log</c>.</summary>
    public static ExecutionReport RunLocal(CliContext context, LoadedExperiment experiment, ChildRun run, int jobs)
    {
        var logs = Directory.CreateDirectory(Path.Combine(SweepFolder(run.RunsDir, experiment), ".logs")).FullName;
        var (program, prefix) = Self(context);
        var logPaths = new Dictionary<int, string>();
        var exitCodes = new Dictionary<int, int>();
        var gate = new object();
        context.Out.WriteLine($"local executor: {experiment.Points.Count} points, {jobs} at a time (logs in {Rel(context, logs)})");
        Parallel.ForEach(experiment.Points, new ParallelOptions { MaxDegreeOfParallelism = jobs, CancellationToken = context.Cancellation }, point =>
        {
            var log = Path.Combine(logs, $"{point.Index}.log");
            lock (gate)
            {
                logPaths[point.Index] = log;
                context.Out.WriteLine($"  [{point.Index}] {point.RunName}: running");
            }
            var info = new ProcessStartInfo(program) { WorkingDirectory = context.WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in prefix.Concat(run.Arguments(point.Index.ToString(CultureInfo.InvariantCulture)))) info.ArgumentList.Add(a);
            info.Environment[ChildVariable] = "1";
            info.Environment["CI"] = "1"; // plain progress lines in the log
            using var writer = new StreamWriter(log, append: false) { AutoFlush = true };
            using var process = new Process { StartInfo = info };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using (context.Cancellation.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } }))
                process.WaitForExit();
            lock (gate)
            {
                exitCodes[point.Index] = process.ExitCode;
                context.Out.WriteLine($"  [{point.Index}] {point.RunName}: {(process.ExitCode == 0 ? "finished" : $"failed (exit {process.ExitCode}, log: {Rel(context, log)})")}");
            }
        });
        return ReportFromFolders(experiment, run.RunsDir, i => logPaths.TryGetValue(i, out var l) ? Rel(context, l) : null);
    }

    /// <summary>
    /// The report of a run made by other processes, read from the run folders: a point with a finished folder succeeded,
    /// a failed or killed folder carries its error, a point without a folder failed (see its log).
    /// </summary>
    public static ExecutionReport ReportFromFolders(LoadedExperiment experiment, string runsRoot, Func<int, string?> logOf)
    {
        var points = new List<PointReport>();
        foreach (var point in experiment.Points)
        {
            var dir = RunFolder.PathFor(runsRoot, experiment.Name, point.RunName);
            var log = logOf(point.Index);
            var seeLog = log is null ? "" : $" (log: {log})";
            RunRecord? record = null;
            if (File.Exists(Path.Combine(dir, RunFolder.StagesFile)))
            {
                try { record = RunFolder.Read(dir); }
                catch (RunnerException) { record = null; }
            }
            if (record is null)
            {
                points.Add(new PointReport { Point = point, Error = new StageFailedException("run", point, new InvalidOperationException("the point left no run folder" + seeLog)) });
                continue;
            }
            var failed = record.Error is not null && !record.Killed;
            var stage = record.Stages.FirstOrDefault(s => s.Status is StageStatus.Failed or StageStatus.Killed)?.Name ?? "run";
            points.Add(new PointReport
            {
                Point = point,
                Record = record,
                RunDirectory = dir,
                Killed = record.Killed,
                Error = failed ? new StageFailedException(stage, point, new InvalidOperationException(record.Error + seeLog)) : null,
            });
        }
        return new ExecutionReport { Points = points };
    }

    /// <summary>The sbatch script for the sweep's job array (options go on sbatch's command line).</summary>
    public static string SlurmScript(CliContext context, LoadedExperiment experiment, ChildRun run, int? maxParallel, string outputPattern)
    {
        var (program, prefix) = Self(context);
        var n = experiment.Points.Count;
        var array = $"0-{n - 1}" + (maxParallel is { } p ? $"%{p}" : "");
        var command = string.Join(' ', prefix.Concat(run.Arguments("@POINT@")).Prepend(program).Select(Quote))
            .Replace("'@POINT@'", "\"$SLURM_ARRAY_TASK_ID\"", StringComparison.Ordinal).Replace("@POINT@", "\"$SLURM_ARRAY_TASK_ID\"", StringComparison.Ordinal);
        var b = new StringBuilder();
        b.Append("#!/bin/bash\n");
        b.Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name={Quote("runner-" + RunFolder.SafeName(experiment.Name))}\n");
        b.Append(CultureInfo.InvariantCulture, $"#SBATCH --array={array}\n");
        b.Append(CultureInfo.InvariantCulture, $"#SBATCH --output={outputPattern}\n");
        b.Append("# Generated by `runner run --executor slurm`: one array task per sweep point.\n");
        b.Append(CultureInfo.InvariantCulture, $"cd {Quote(context.WorkingDirectory)}\n");
        b.Append(CultureInfo.InvariantCulture, $"export {ChildVariable}=1 CI=1\n");
        b.Append("exec ").Append(command).Append('\n');
        return b.ToString();
    }

    /// <summary>Single-quotes for bash where needed.</summary>
    public static string Quote(string s) =>
        s.Length > 0 && s.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? s : "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static readonly HashSet<string> Terminal = new(StringComparer.Ordinal)
    {
        "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT", "REVOKED",
    };

    /// <summary>Submits the job array, polls squeue until every task has ended, and reads the run folders back.</summary>
    public static ExecutionReport RunSlurm(CliContext context, LoadedExperiment experiment, ChildRun run, IReadOnlyList<string> slurmArgs, int? maxParallel)
    {
        var sweep = SweepFolder(run.RunsDir, experiment);
        var logs = Directory.CreateDirectory(Path.Combine(sweep, ".slurm")).FullName;
        var script = Path.Combine(logs, "sweep.sbatch");
        var temp = script + ".tmp";
        File.WriteAllText(temp, SlurmScript(context, experiment, run, maxParallel, Path.Combine(logs, "%A_%a.out")));
        File.Move(temp, script, overwrite: true);
        var (rc, output, error) = Exec(context, "sbatch", ["--parsable", .. slurmArgs, script]);
        if (rc != 0) throw new RunnerException($"sbatch failed (exit {rc}): {error.Trim()} (script: {Rel(context, script)})", exitCode: 1);
        var job = output.Trim().Split(';')[0];
        context.Out.WriteLine($"slurm executor: submitted job array {job} ({experiment.Points.Count} tasks; script {Rel(context, script)})");
        var poll = TimeSpan.FromSeconds(double.TryParse(context.GetEnvironment("RUNNER_SLURM_POLL"), CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 5);
        var states = new Dictionary<int, string>();
        var emptyPolls = 0;
        while (true)
        {
            var (qrc, qout, qerr) = Exec(context, "squeue", ["--states=all", "-h", "-j", job, "-o", "%i %T"]);
            if (qrc != 0)
            {
                // squeue forgets a job MinJobAge after it ended; an unknown job id is "done" once we saw it.
                if (states.Count > 0 || ++emptyPolls > 3) break;
                context.Error.WriteLine($"warning: squeue: {qerr.Trim()}");
            }
            var seen = new Dictionary<int, string>();
            var pending = false;
            foreach (var line in qout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = line.Split(' ', 2);
                if (parts.Length < 2) continue;
                var id = parts[0];
                var u = id.IndexOf('_', StringComparison.Ordinal);
                if (u >= 0 && int.TryParse(id[(u + 1)..], CultureInfo.InvariantCulture, out var task)) seen[task] = parts[1];
                else if (!Terminal.Contains(parts[1])) pending = true; // "12_[1-3%2] PENDING": tasks not started yet
            }
            foreach (var (task, state) in seen.OrderBy(p => p.Key))
                if (!states.TryGetValue(task, out var old) || old != state)
                {
                    states[task] = state;
                    var name = task < experiment.Points.Count ? experiment.Points[task].RunName : "?";
                    var log = Path.Combine(logs, $"{job}_{task}.out");
                    context.Out.WriteLine($"  [{task}] {name}: {state}{(state == "COMPLETED" || !Terminal.Contains(state) ? "" : $" (log: {Rel(context, log)})")}");
                }
            var allEnded = !pending && Enumerable.Range(0, experiment.Points.Count).All(i => states.TryGetValue(i, out var st) && Terminal.Contains(st));
            if (allEnded) break;
            if (seen.Count == 0 && !pending && qout.Trim().Length == 0 && ++emptyPolls > 3 && states.Count > 0) break;
            context.Cancellation.WaitHandle.WaitOne(poll);
            if (context.Cancellation.IsCancellationRequested)
            {
                Exec(context, "scancel", [job]);
                throw new OperationCanceledException($"cancelled: job array {job} was cancelled (scancel)");
            }
        }
        return ReportFromFolders(experiment, run.RunsDir, i => Rel(context, Path.Combine(logs, $"{job}_{i}.out")));
    }

    private static (int Code, string Out, string Error) Exec(CliContext context, string program, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(program) { WorkingDirectory = context.WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(info)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, stdout, stderr.GetAwaiter().GetResult());
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new RunnerException($"{program} could not be started ({e.Message}): is Slurm installed on this machine (a login node of the cluster)?", exitCode: 2);
        }
    }

    private static string Rel(CliContext context, string path) => Path.GetRelativePath(context.WorkingDirectory, path);
}
