using System.CommandLine;
using System.Globalization;
using Runner.Cli.Rendering;
using Runner.Pipeline.Caching;
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
        var dryRun = new Option<bool>("--dry-run") { Description = "Print each point's stages and whether each is cached; run nothing." };
        var runsDir = new Option<string?>("--runs-dir") { Description = "Where run folders go (default: runs)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "The stage cache (default: the spec's cache.dir, $RUNNER_CACHE, .runner/cache)." };
        var point = new Option<int?>("--point") { Description = "Run only the sweep point with this index (0-based)." };
        var keepGoing = new Option<bool>("--keep-going") { Description = "Run the remaining points after one fails." };
        var command = new Command("run", "Run an experiment: every sweep point, reusing cached stages.")
        {
            spec, set, device, noCache, force, dryRun, runsDir, cacheDir, point, keepGoing,
        };
        command.SetAction(r =>
        {
            var experiment = SpecLoader.Load(Path.GetFullPath(r.GetValue(spec)!, context.WorkingDirectory),
                SpecOptions.LoadOptions(context, r.GetValue(set), r.GetValue(device)));
            var cache = new StageCache(CacheOptions.Create(
                r.GetValue(cacheDir) ?? experiment.Points[0].Spec.Cache.Dir, context.WorkingDirectory, context.GetEnvironment));
            var options = new PipelineOptions
            {
                RunsDirectory = RunFolder.ResolveRoot(r.GetValue(runsDir), context.WorkingDirectory),
                EnvironmentFingerprint = context.EnvironmentFingerprint(),
                RunnerVersion = TrackingContext.CurrentVersion,
                GitCommit = TrackingContext.Capture(context.WorkingDirectory, context.GetEnvironment).GitCommit,
                NoCache = r.GetValue(noCache),
                Force = r.GetValue(force) ?? [],
                Point = r.GetValue(point),
                KeepGoing = r.GetValue(keepGoing),
                ResolvedYaml = ResolvedSpecWriter.ToYaml,
            };
            var graph = new StageGraph(context.Stages());
            if (graph.Stages.Count == 0)
                context.Error.WriteLine("note: this build registers no stages yet (they arrive with the SAE, model and embedded-default issues); runs record their resolved spec only.");
            return r.GetValue(dryRun)
                ? DryRun(context, new PipelineExecutor(graph, cache, options), experiment)
                : Run(context, graph, cache, options, experiment);
        });
        return command;
    }

    private static int DryRun(CliContext context, PipelineExecutor executor, LoadedExperiment experiment)
    {
        var plan = executor.Plan(experiment.Points);
        var o = context.Out;
        o.WriteLine($"plan for {experiment.Name}: {plan.Points.Count} run{(plan.Points.Count == 1 ? "" : "s")}, {plan.ComputeCount} stage computation{(plan.ComputeCount == 1 ? "" : "s")}");
        foreach (var p in plan.Points)
        {
            o.WriteLine($"  [{p.Point.Index}] {p.Point.RunName}  (spec {p.Point.SpecHash[..12]})");
            foreach (var s in p.Stages)
            {
                var what = s.Action switch
                {
                    StageAction.Reuse => "cached",
                    StageAction.Shared => "shared (computed once for an earlier point)",
                    _ => s.Forced ? "compute (forced)" : s.Problem is null ? "compute" : $"compute ({s.Problem})",
                };
                o.WriteLine($"      {s.Stage,-10} {StageCache.Short(s.Key)}  {what}");
            }
        }
        return ExitCodes.Ok;
    }

    private static int Run(CliContext context, StageGraph graph, StageCache cache, PipelineOptions options, LoadedExperiment experiment)
    {
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
        if (cancelled is not null)
        {
            RunOutputs.Write(context, experiment, report, cancelled.CancelledAt);
            throw cancelled;
        }
        SteeringSummary.Write(context, report);
        RunOutputs.Write(context, experiment, report);
        report.ThrowIfFailed();
        return report.Succeeded ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
