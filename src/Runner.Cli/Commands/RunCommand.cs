using System.CommandLine;
using System.Globalization;
using Runner.Cli.Rendering;
using Runner.Core;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Estimates;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Pipeline.Tracking;

namespace Runner.Cli.Commands;

/// <summary><c>runner run SPEC</c>: resolve every point, then run the stage graph with the cache.</summary>
public static class RunCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var spec = new Argument<string>("SPEC") { Description = "The experiment spec (YAML)." };
        var set = SpecOptions.Set();
        var device = new Option<string?>("--device") { Description = "auto, cpu, cuda or cuda:N (same as --set device=…)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Recompute every stage (new results still replace the cached ones)." };
        var force = new Option<string[]>("--force") { Description = "Recompute this stage and everything downstream (repeatable)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print each point's stages, whether each is cached, and what each computed stage would cost (disk, peak memory, time); run nothing." };
        var json = new Option<bool>("--json") { Description = "With --dry-run: print the plan and its estimates as JSON." };
        var runsDir = new Option<string?>("--runs-dir") { Description = "Where run folders go (default: runs)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "The stage cache (default: the spec's cache.dir, $RUNNER_CACHE, .runner/cache)." };
        var point = new Option<int?>("--point") { Description = "Run only the sweep point with this index (0-based)." };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Run the remaining points after one fails." };
        var executor = new Option<string>("--executor") { Description = "local (this machine; --jobs N runs points in N processes) or slurm (one job array).", DefaultValueFactory = _ => "local" };
        executor.AcceptOnlyFromAmong("local", "slurm");
        var jobs = new Option<int>("--jobs", "-j") { Description = "With --executor local: run up to N points at once, each in its own process (default 1: in this process).", DefaultValueFactory = _ => 1 };
        var slurmArg = new Option<string[]>("--slurm-arg") { Description = "An sbatch option passed through, e.g. --slurm-arg=--partition=gpu (repeatable)." };
        var maxParallel = new Option<int?>("--max-parallel") { Description = "With --executor slurm: at most N array tasks at once (--array=0-(N-1)%P)." };
        var command = new Command("run", "Run an experiment: every sweep point, reusing cached stages.")
        {
            spec, set, device, noCache, force, dryRun, json, runsDir, cacheDir, point, keepGoing, executor, jobs, slurmArg, maxParallel,
        };
        command.SetAction(r =>
        {
            var (experiment, cache, options) = Prepare(context, r.GetValue(spec)!, r.GetValue(set), r.GetValue(device),
                r.GetValue(cacheDir), r.GetValue(runsDir));
            options = options with
            {
                NoCache = r.GetValue(noCache),
                Force = r.GetValue(force) ?? [],
                Point = r.GetValue(point),
                KeepGoing = r.GetValue(keepGoing),
            };
            var graph = new StageGraph(context.Stages());
            if (graph.Stages.Count == 0)
                context.Error.WriteLine("note: this build registers no stages yet (they arrive with the SAE, model and embedded-default issues); runs record their resolved spec only.");
            if (r.GetValue(json) && !r.GetValue(dryRun)) throw new RunnerException("--json goes with --dry-run", exitCode: ExitCodes.Usage);
            if (r.GetValue(dryRun)) return DryRun.Print(context, new PipelineExecutor(graph, cache, options), experiment, cache, r.GetValue(json));
            // Stop before anything starts when what the run writes cannot fit the cache's disk.
            DiskCheck.Ensure(new PipelineExecutor(graph, cache, options).Plan(experiment.Points, verify: false), cache.Root,
                DiskSpace.Free(cache.Root, context.GetEnvironment));
            var slurm = r.GetValue(executor) == "slurm";
            var jobCount = r.GetValue(jobs);
            if (jobCount < 1) throw new RunnerException("--jobs must be at least 1", exitCode: ExitCodes.Usage);
            if (r.GetValue(maxParallel) is < 1) throw new RunnerException("--max-parallel must be at least 1", exitCode: ExitCodes.Usage);
            if (!slurm && ((r.GetValue(slurmArg)?.Length ?? 0) > 0 || r.GetValue(maxParallel) is not null))
                throw new RunnerException("--slurm-arg and --max-parallel need --executor slurm", exitCode: ExitCodes.Usage);
            if (slurm && jobCount > 1) throw new RunnerException("--jobs is for --executor local; with slurm use --max-parallel", exitCode: ExitCodes.Usage);
            if (!slurm && jobCount == 1 || options.Point is not null)
            {
                if (slurm) throw new RunnerException("--point runs one point here; it cannot be combined with --executor slurm", exitCode: ExitCodes.Usage);
                var local = Execute(context, graph, cache, options, experiment);
                local.ThrowIfFailed();
                return local.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
            }
            var child = new RunExecutors.ChildRun(experiment.SpecPath, r.GetValue(set) ?? [], r.GetValue(device), cache.Root,
                options.RunsDirectory, options.NoCache, options.Force);
            var report = slurm
                ? RunExecutors.RunSlurm(context, experiment, child, r.GetValue(slurmArg) ?? [], r.GetValue(maxParallel))
                : RunExecutors.RunLocal(context, experiment, child, jobCount);
            return Finish(context, experiment, report);
        });
        return command;
    }

    /// <summary>
    /// Loads <paramref name="specPath"/> (relative to the working directory) with the overrides, and the stage cache and
    /// pipeline options <c>runner run</c> uses for it (what <c>runner check</c> shares).
    /// </summary>
    internal static (LoadedExperiment Experiment, StageCache Cache, PipelineOptions Options) Prepare(CliContext context,
        string specPath, string[]? set, string? device, string? cacheDir, string? runsDir)
    {
        var experiment = SpecLoader.Load(Path.GetFullPath(specPath, context.WorkingDirectory),
            SpecOptions.LoadOptions(context, set, device));
        var cache = new StageCache(CacheOptions.Create(
            cacheDir ?? experiment.Points[0].Spec.Cache.Dir, context.WorkingDirectory, context.GetEnvironment));
        var options = new PipelineOptions
        {
            RunsDirectory = RunFolder.ResolveRoot(runsDir, context.WorkingDirectory),
            EnvironmentFingerprint = context.EnvironmentFingerprint(),
            RunnerVersion = TrackingContext.CurrentVersion,
            GitCommit = TrackingContext.Capture(context.WorkingDirectory, context.GetEnvironment).GitCommit,
            ResolvedYaml = ResolvedSpecWriter.ToYaml,
        };
        return (experiment, cache, options);
    }

    /// <summary>
    /// Runs every selected point as <c>runner run</c> does (progress, the metrics table, steering summary, tables,
    /// reports, tracking) and returns the report; a failed stage is in the report, not thrown. Ctrl-C records the
    /// interrupted runs and rethrows (exit 130).
    /// </summary>
    internal static ExecutionReport Execute(CliContext context, StageGraph graph, StageCache cache, PipelineOptions options, LoadedExperiment experiment)
    {
        // The points that run here must get their device (a Slurm parent or a dry run may plan for GPUs it lacks).
        foreach (var d in experiment.Points.Where(p => options.Point is null || p.Index == options.Point).Select(p => p.Spec.Device).Distinct())
            DeviceAvailability.Require(d);
        ExecutionReport report;
        PipelineCancelledException? cancelled = null;
        using (var progress = ProgressRenderer.Create(context))
        {
            var executor = new PipelineExecutor(graph, cache, options, progress);
            try
            {
                report = progress.Run(ct => executor.RunAsync(experiment.Points, ct), context.Cancellation);
            }
            catch (PipelineCancelledException e)
            {
                // Ctrl-C: the finished points have their folders, the interrupted ones a folder with status killed.
                // Record them (tables, reports, MLflow FINISHED/KILLED), then exit 130 as before.
                report = e.Report;
                cancelled = e;
            }
        }
        Summary.Write(context, experiment, report);
        // A point run by an executor (--jobs, slurm) writes its run folder only: the parent writes the outputs and MLflow.
        var child = RunExecutors.IsChild(context);
        if (cancelled is not null)
        {
            if (!child) RunOutputs.Write(context, experiment, report, cancelled.CancelledAt);
            throw cancelled;
        }
        if (child) return report;
        SteeringSummary.Write(context, report);
        RunOutputs.Write(context, experiment, report);
        return report;
    }

    private static int Finish(CliContext context, LoadedExperiment experiment, ExecutionReport report)
    {
        Summary.Write(context, experiment, report);
        SteeringSummary.Write(context, report);
        RunOutputs.Write(context, experiment, report);
        var failed = report.Points.Where(p => p.Error is not null).ToList();
        foreach (var p in failed)
        {
            var lines = (p.Error!.InnerException?.Message ?? p.Error.Message).Split('\n');
            var log = lines[^1].LastIndexOf(" (log: ", StringComparison.Ordinal) is var at and >= 0 ? lines[^1][at..] : "";
            context.Error.WriteLine($"error: point {p.Point.Index} ({p.Point.RunName}) failed in {p.Error.Stage}: {lines[0].Trim()}{(lines.Length > 1 ? log : "")}");
        }
        return report.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
