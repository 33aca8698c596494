using System.CommandLine;
using System.Globalization;
using Runner.Cli.Rendering;
using Runner.Core;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Pipeline.Tracking;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner reproduce RUN_DIR | --mlflow-run ID</c>: reruns a recorded run from its resolved spec, with the cache
/// bypassed, into a fresh runs folder and a fresh cache, and compares every metric with the record. On the CPU the
/// metrics must agree bit for bit; on CUDA within <see cref="CudaRelativeTolerance"/> (relative, with an absolute
/// floor of <see cref="CudaAbsoluteTolerance"/>). A metric whose definition (<see cref="MetricCatalog"/>) was recorded
/// at another version than this Runner's is not compared: its row says <c>definition changed: v1 → v2 (what changed)</c>,
/// neither agreeing nor differing. Exit 0 when all compared metrics agree, 1 otherwise, 2 for something that is not a run.
/// </summary>
public static class ReproduceCommand
{
    /// <summary>The relative tolerance for metrics of a run on CUDA (non-deterministic kernels, atomics).</summary>
    public const double CudaRelativeTolerance = 1e-3;

    /// <summary>The absolute floor of the CUDA tolerance, for metrics near zero.</summary>
    public const double CudaAbsoluteTolerance = 1e-6;

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var runDir = new Argument<string?>("RUN_DIR") { Description = "The run folder to reproduce (runs/<experiment>/<run>).", Arity = ArgumentArity.ZeroOrOne };
        var mlflowRun = new Option<string?>("--mlflow-run") { Description = "Reproduce this MLflow run (its run id) instead, found in the file store or on the server." };
        var trackingUri = new Option<string?>("--tracking-uri") { Description = "The MLflow file store or server (http/https) for --mlflow-run (default: $MLFLOW_TRACKING_URI, else ./mlruns)." };
        var runsDir = new Option<string?>("--runs-dir") { Description = "Where the reproduced run and its fresh cache go (a new or empty folder; kept). Default: a temp folder, removed afterwards." };
        var command = new Command("reproduce", "Rerun a recorded run from its resolved spec (cache bypassed) and compare every metric.")
        {
            runDir, mlflowRun, trackingUri, runsDir,
        };
        command.SetAction(r => Reproduce(context, r.GetValue(runDir), r.GetValue(mlflowRun), r.GetValue(trackingUri), r.GetValue(runsDir)));
        return command;
    }

    private static int Reproduce(CliContext context, string? runDir, string? mlflowRun, string? trackingUri, string? runsDir)
    {
        if ((runDir is null) == (mlflowRun is null))
            throw new RunnerException("give either a run folder (runner reproduce RUN_DIR) or --mlflow-run ID", exitCode: 2);
        var recorded = runDir is not null
            ? RecordedRun.FromFolder(Path.GetFullPath(runDir, context.WorkingDirectory))
            : RecordedRun.FromMlflow(mlflowRun!, trackingUri, context);

        var experiment = SpecLoader.Load(recorded.SpecPath, SpecOptions.LoadOptions(context, null, null));
        // A resolved.yaml downloaded from an MLflow server lives in a temp folder of its own: loaded, it is no longer needed.
        var downloads = Path.Combine(Path.GetTempPath(), "runner-reproduce") + Path.DirectorySeparatorChar;
        if (recorded.SpecPath.StartsWith(downloads, StringComparison.Ordinal))
        {
            try { Directory.Delete(Path.GetDirectoryName(recorded.SpecPath)!, recursive: true); }
            catch (IOException) { }
        }
        if (experiment.Points.Count != 1)
            throw new RunnerException($"{recorded.SpecPath} resolves to {experiment.Points.Count} points, not one run", exitCode: 2);
        var point = experiment.Points[0];

        var o = context.Out;
        o.WriteLine($"reproducing {recorded.Source}");
        if (recorded.SpecHash is { } hash && hash != point.SpecHash)
            context.Error.WriteLine($"warning: the recorded spec hash {hash[..12]} differs from the reloaded spec's {point.SpecHash[..12]} (the spec schema or its defaults changed since)");
        var environment = context.EnvironmentFingerprint();
        var commit = TrackingContext.Capture(context.WorkingDirectory, context.GetEnvironment).GitCommit;
        Warn(context, "Runner version", recorded.RunnerVersion, TrackingContext.CurrentVersion);
        Warn(context, "git commit", recorded.GitCommit, commit);
        Warn(context, "environment (libtorch/shim)", recorded.Environment, environment);

        var keep = runsDir is not null;
        var root = keep
            ? Path.GetFullPath(runsDir!, context.WorkingDirectory)
            : Path.Combine(Path.GetTempPath(), "runner-reproduce", Guid.NewGuid().ToString("N"));
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
            throw new RunnerException($"--runs-dir {runsDir}: not empty; a reproduction needs a fresh folder", exitCode: 2);
        try
        {
            var reproducedDir = Run(context, point, root, environment, commit);
            if (keep) o.WriteLine($"reproduced run: {reproducedDir}");
            var reproduced = RunFolder.Read(reproducedDir).Metrics;
            var cuda = IsCuda(point.Spec.Device);
            o.WriteLine($"device: {point.Spec.Device}{(point.Spec.Device == "auto" ? (cuda ? " (cuda)" : " (cpu)") : "")}; tolerance: "
                + (cuda ? $"relative {Format(CudaRelativeTolerance)} (absolute floor {Format(CudaAbsoluteTolerance)})" : "0 (bit for bit)"));
            var rows = Compare(recorded.Recorded, reproduced, cuda, out var agree);
            TextTable.Write(o, ["metric", "recorded", "reproduced", "difference", "tolerance", "verdict"], rows);
            o.WriteLine(Closing(rows, agree));
            return agree ? ExitCodes.Ok : ExitCodes.Failed;
        }
        finally
        {
            if (!keep) DeleteTree(root);
        }
    }

    private static string Run(CliContext context, ResolvedPoint point, string root, string environment, string? commit)
    {
        // A fresh cache as well as --no-cache: nothing computed before this command is trusted.
        var cache = new StageCache(CacheOptions.Create(Path.Combine(root, ".cache"), context.WorkingDirectory, context.GetEnvironment));
        var options = new PipelineOptions
        {
            RunsDirectory = root,
            EnvironmentFingerprint = environment,
            RunnerVersion = TrackingContext.CurrentVersion,
            GitCommit = commit,
            NoCache = true,
            ResolvedYaml = ResolvedSpecWriter.ToYaml,
        };
        var graph = new StageGraph(context.Stages());
        ExecutionReport report;
        using (var progress = ProgressRenderer.Create(context))
        {
            var executor = new PipelineExecutor(graph, cache, options, progress);
            report = progress.Run(ct => executor.RunAsync([point], ct), context.Cancellation);
        }
        report.ThrowIfFailed();
        return report.Points.Single().RunDirectory
            ?? throw new RunnerException("the reproduction wrote no run folder", exitCode: 1);
    }

    /// <summary>The verdict of a timing metric's row.</summary>
    public const string TimingVerdict = "timing, not compared";

    /// <summary>How a definition-change verdict starts (the rest: <see cref="MetricCatalog.DescribeChange"/>).</summary>
    public const string DefinitionChanged = "definition changed";

    /// <summary>One table row per metric in either set, sorted by name, ignoring definition versions (see the other overload).</summary>
    public static List<string[]> Compare(IReadOnlyDictionary<string, double> recorded, IReadOnlyDictionary<string, double> reproduced, bool cuda, out bool agree) =>
        Compare(recorded, null, reproduced, cuda, out agree, MetricCatalog.Find);

    /// <summary>
    /// One table row per metric in either set, sorted by name; <paramref name="agree"/> when every compared row agrees. A
    /// metric recorded under another version of its definition than this Runner's gets the verdict
    /// <c>definition changed: v1 → v2 (…)</c> and counts neither way.
    /// </summary>
    public static List<string[]> Compare(RecordedMetrics recorded, IReadOnlyDictionary<string, double> reproduced, bool cuda, out bool agree) =>
        Compare(recorded.Values, recorded, reproduced, cuda, out agree, MetricCatalog.Find);

    /// <summary>As the overload above, with the definitions <paramref name="find"/> gives (metric name -> definition or null) instead of the catalog's.</summary>
    public static List<string[]> Compare(RecordedMetrics recorded, IReadOnlyDictionary<string, double> reproduced, bool cuda, out bool agree,
        Func<string, MetricDefinition?> find) =>
        Compare(recorded.Values, recorded, reproduced, cuda, out agree, find);

    /// <summary>The closing line: how many compared metrics agree, and how many were not compared because their definition changed.</summary>
    public static string Closing(IReadOnlyList<string[]> rows, bool agree)
    {
        var changed = rows.Count(row => row[^1].StartsWith(DefinitionChanged, StringComparison.Ordinal));
        var compared = rows.Count(row => row[^1] != TimingVerdict) - changed;
        var differing = compared - rows.Count(row => row[^1] == "agree");
        var line = agree
            ? $"all {compared} compared metric{(compared == 1 ? "" : "s")} agree"
            : $"{differing} of {compared} compared metric{(compared == 1 ? "" : "s")} do not agree";
        return changed == 0 ? line : line + $"; {changed} not compared: definition changed";
    }

    private static List<string[]> Compare(IReadOnlyDictionary<string, double> recorded, RecordedMetrics? versions,
        IReadOnlyDictionary<string, double> reproduced, bool cuda, out bool agree, Func<string, MetricDefinition?> find)
    {
        var rows = new List<string[]>();
        agree = true;
        var tolerance = cuda ? $"{Format(CudaRelativeTolerance)} rel" : "0";
        foreach (var name in recorded.Keys.Union(reproduced.Keys).Order(StringComparer.Ordinal))
        {
            var hasA = recorded.TryGetValue(name, out var a);
            var hasB = reproduced.TryGetValue(name, out var b);
            string verdict;
            if (IsTiming(name))
            {
                rows.Add([name, hasA ? Format(a) : "-", hasB ? Format(b) : "-", "-", "-", TimingVerdict]);
                continue;
            }
            if (hasA && hasB && versions is not null && DefinitionChange(find(name), versions) is { } change)
            {
                rows.Add([name, Format(a), Format(b), "-", "-", change]);
                continue;
            }
            if (!hasA) verdict = "not recorded";
            else if (!hasB) verdict = "missing";
            else verdict = Agrees(a, b, cuda) ? "agree" : "DIFFER";
            if (verdict != "agree") agree = false;
            rows.Add([name, hasA ? Format(a) : "-", hasB ? Format(b) : "-", hasA && hasB ? (b - a).ToString("G4", CultureInfo.InvariantCulture) : "-", tolerance, verdict]);
        }
        return rows;
    }

    // The verdict for a metric recorded under another version of its definition than this Runner's, else null.
    private static string? DefinitionChange(MetricDefinition? definition, RecordedMetrics versions)
    {
        if (definition is null) return null;
        var recorded = versions.VersionOf(definition);
        if (recorded == definition.Version) return null;
        var verdict = MetricCatalog.DescribeChange(definition, recorded);
        return versions.Versioned ? verdict : $"{verdict} [{RecordedMetrics.UnversionedNote}]";
    }

    /// <summary>
    /// A wall-clock metric (<c>pretrain.seconds</c>, <c>capture.tokens_per_second</c>): shown, never compared, since
    /// no two runs take the same time.
    /// </summary>
    public static bool IsTiming(string name)
    {
        var last = name[(name.LastIndexOf('.') + 1)..];
        return last is "seconds" || last.EndsWith("_seconds", StringComparison.Ordinal) || last.EndsWith("per_second", StringComparison.Ordinal);
    }

    /// <summary>Bit for bit on the CPU (NaN agrees with NaN); on CUDA within the relative tolerance or its absolute floor.</summary>
    public static bool Agrees(double recorded, double reproduced, bool cuda)
    {
        if (BitConverter.DoubleToInt64Bits(recorded) == BitConverter.DoubleToInt64Bits(reproduced)) return true;
        if (double.IsNaN(recorded) && double.IsNaN(reproduced)) return true;
        if (!cuda) return recorded == reproduced; // 0.0 and -0.0
        if (!double.IsFinite(recorded) || !double.IsFinite(reproduced)) return false;
        var scale = Math.Max(Math.Abs(recorded), Math.Abs(reproduced));
        return Math.Abs(reproduced - recorded) <= Math.Max(CudaRelativeTolerance * scale, CudaAbsoluteTolerance);
    }

    private static bool IsCuda(string device) =>
        device.Trim().ToLowerInvariant() switch
        {
            "cpu" => false,
            "auto" => Torch.Device.Auto.IsCuda,
            _ => true,
        };

    private static void Warn(CliContext context, string what, string? recorded, string? now)
    {
        if (string.IsNullOrEmpty(recorded) && string.IsNullOrEmpty(now)) return;
        if (string.IsNullOrEmpty(recorded))
            context.Error.WriteLine($"warning: the run does not record its {what}; this reproduction uses {now ?? "unknown"}");
        else if (recorded != now)
            context.Error.WriteLine($"warning: {what} differs: recorded {recorded}, now {now ?? "unknown"}");
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

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
