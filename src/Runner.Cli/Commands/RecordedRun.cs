using System.Globalization;
using Runner.Core;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Tracking;

namespace Runner.Cli.Commands;

/// <summary>What <c>runner reproduce</c> compares against: a run's resolved spec, final metrics and provenance.</summary>
internal sealed record RecordedRun
{
    /// <summary>Where the record came from, for the output.</summary>
    public required string Source { get; init; }

    /// <summary>The resolved spec (a run folder's resolved.yaml, or the MLflow artifact).</summary>
    public required string SpecPath { get; init; }

    /// <summary>The final metrics, <c>stage.metric</c> -> value.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>
    /// The metric definition versions the record carries (metrics.json's <c>definitions</c>, or the MLflow tags
    /// <c>runner.metric_def.&lt;id&gt;</c>); null for a record made before definitions were versioned (taken as v1).
    /// </summary>
    public IReadOnlyDictionary<string, int>? Definitions { get; init; }

    /// <summary>The metrics with their definition versions.</summary>
    public RecordedMetrics Recorded => new(Metrics, Definitions);

    /// <summary>The recorded spec hash; null when unknown.</summary>
    public string? SpecHash { get; init; }

    /// <summary>The recorded Runner version; null when not recorded.</summary>
    public string? RunnerVersion { get; init; }

    /// <summary>The recorded git commit; null when not recorded.</summary>
    public string? GitCommit { get; init; }

    /// <summary>The recorded environment fingerprint (libtorch and shim versions); null when not recorded.</summary>
    public string? Environment { get; init; }

    /// <summary>A run folder; a RunnerException (exit 2) when it is not a finished run's folder.</summary>
    public static RecordedRun FromFolder(string directory, string? source = null)
    {
        if (!Directory.Exists(directory)) throw new RunnerException($"{directory}: no such run folder", exitCode: 2);
        var record = RunFolder.Read(directory);
        if (record.Error is not null)
            throw new RunnerException($"{directory}: the run is {record.Status} ({record.Error}); only a finished run can be reproduced", exitCode: 2);
        var spec = Path.Combine(directory, RunFolder.ResolvedFile);
        if (!File.Exists(spec)) throw new RunnerException($"{directory} has no {RunFolder.ResolvedFile} to rerun", exitCode: 2);
        return new RecordedRun
        {
            Source = source ?? directory,
            SpecPath = spec,
            Metrics = record.Metrics,
            Definitions = record.MetricDefinitions,
            SpecHash = record.SpecHash,
            RunnerVersion = record.RunnerVersion,
            GitCommit = record.GitCommit,
            Environment = record.Environment,
        };
    }

    /// <summary>
    /// An MLflow run in a file store or on a server (<paramref name="trackingUri"/>, else <c>$MLFLOW_TRACKING_URI</c>, else
    /// <c>./mlruns</c>): its run folder (tag <c>runner.run_folder</c>) when that still exists, else its
    /// <c>resolved.yaml</c> artifact, final metrics (step-0 metrics outside the curve folders) and tags; or the same from an
    /// MLflow server (<c>http(s)://</c>) through its REST API and artifact proxy.
    /// </summary>
    public static RecordedRun FromMlflow(string runId, string? trackingUri, CliContext context)
    {
        var target = TrackingTarget.Resolve(new MlflowSpec { Uri = trackingUri }, context.WorkingDirectory, context.GetEnvironment);
        if (runId.Length == 0 || runId.Contains('/') || runId.Contains('\\') || runId.StartsWith('.'))
            throw new RunnerException($"--mlflow-run: '{runId}' is not a run id", exitCode: 2);
        if (target.Server is { } server) return FromMlflowServer(runId, server, target.Key, context);
        var store = target.FileStore!;
        var runDir = Directory.Exists(store)
            ? Directory.EnumerateDirectories(store).Where(d => !Path.GetFileName(d).StartsWith('.'))
                .Select(d => Path.Combine(d, runId)).FirstOrDefault(d => File.Exists(Path.Combine(d, "meta.yaml")))
            : null;
        if (runDir is null)
            throw new RunnerException($"--mlflow-run: no run '{runId}' in the file store {store}", exitCode: 2);
        string? Tag(string key)
        {
            var file = Path.Combine(runDir, "tags", key);
            return File.Exists(file) ? File.ReadAllText(file) : null;
        }
        var source = $"MLflow run {runId} ({store})";
        if (Tag("runner.run_folder") is { } folder && File.Exists(Path.Combine(folder, RunFolder.StagesFile)))
            return FromFolder(folder, $"{source}, run folder {folder}");

        var spec = Path.Combine(runDir, "artifacts", RunFolder.ResolvedFile);
        if (!File.Exists(spec))
            throw new RunnerException($"--mlflow-run {runId}: its run folder is gone and it has no {RunFolder.ResolvedFile} artifact to rerun", exitCode: 2);
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        var metricsDir = Path.Combine(runDir, "metrics");
        if (Directory.Exists(metricsDir))
            foreach (var file in Directory.EnumerateFiles(metricsDir))
            {
                var key = Path.GetFileName(file);
                if (key.StartsWith('.')) continue;
                try
                {
                    var final = MlflowFileStore.ParseMetricLines(key, File.ReadAllText(file)).LastOrDefault(m => m.Step == 0);
                    if (final is not null) metrics[key] = final.Value;
                }
                catch (FormatException e)
                {
                    throw new RunnerException($"--mlflow-run {runId}: {e.Message}", exitCode: 2, inner: e);
                }
            }
        var tagsDir = Path.Combine(runDir, "tags");
        var definitions = Directory.Exists(tagsDir)
            ? ReadDefinitions(Directory.EnumerateFiles(tagsDir).Select(f => KeyValuePair.Create(Path.GetFileName(f), File.ReadAllText(f))), runId)
            : null;
        return new RecordedRun
        {
            Source = source,
            SpecPath = spec,
            Metrics = metrics,
            Definitions = definitions,
            SpecHash = Tag("runner.spec_hash"),
            RunnerVersion = Tag("runner.version"),
            GitCommit = Tag("mlflow.source.git.commit"),
            Environment = Tag("runner.environment"),
        };
    }

    // The server branch of FromMlflow: runs/get for the tags and latest metrics, the artifact proxy for resolved.yaml.
    private static RecordedRun FromMlflowServer(string runId, Uri server, string display, CliContext context)
    {
        using var client = new MlflowRestClient(server, context.GetEnvironment, TrackingOptions.FromEnvironment(context.GetEnvironment));
        var source = $"MLflow run {runId} ({display})";
        MlflowRunRecord run;
        try
        {
            run = client.GetRunAsync(runId, context.Cancellation).GetAwaiter().GetResult();
        }
        catch (TrackingException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            throw new RunnerException($"--mlflow-run: no run '{runId}' on the MLflow server {display}", exitCode: 2, inner: e);
        }
        catch (TrackingException e) when (e.Kind == TrackingFailure.Unreachable)
        {
            throw new RunnerException($"--mlflow-run {runId}: the MLflow server {display} is unreachable ({e.Message})", exitCode: 2, inner: e);
        }
        catch (TrackingException e)
        {
            throw new RunnerException($"--mlflow-run {runId}: reading the run from the MLflow server {display} failed: {e.Message}", exitCode: 2, inner: e);
        }
        string? Tag(string key) => run.Tags.TryGetValue(key, out var value) ? value : null;
        if (Tag("runner.run_folder") is { } folder && File.Exists(Path.Combine(folder, RunFolder.StagesFile)))
            return FromFolder(folder, $"{source}, run folder {folder}");

        byte[] spec;
        try
        {
            spec = client.DownloadArtifactAsync(run.Run, RunFolder.ResolvedFile, context.Cancellation).GetAwaiter().GetResult();
        }
        catch (TrackingException e) when (e.Kind == TrackingFailure.Rejected)
        {
            throw new RunnerException($"--mlflow-run {runId}: its run folder is gone and it has no {RunFolder.ResolvedFile} artifact to rerun on {display} ({e.Message})", exitCode: 2, inner: e);
        }
        catch (TrackingException e)
        {
            throw new RunnerException($"--mlflow-run {runId}: downloading {RunFolder.ResolvedFile} from the MLflow server {display} failed: {e.Message}", exitCode: 2, inner: e);
        }
        var directory = Path.Combine(Path.GetTempPath(), "runner-reproduce", "mlflow-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var specPath = Path.Combine(directory, RunFolder.ResolvedFile);
        File.WriteAllBytes(specPath, spec);

        // Final metrics: step 0 outside the curves (curve keys are stage/field).
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var m in run.Metrics)
            if (m.Step == 0 && !m.Key.Contains('/')) metrics[m.Key] = m.Value;
        return new RecordedRun
        {
            Source = source,
            SpecPath = specPath,
            Metrics = metrics,
            Definitions = ReadDefinitions(run.Tags, runId),
            SpecHash = Tag("runner.spec_hash"),
            RunnerVersion = Tag("runner.version"),
            GitCommit = Tag("mlflow.source.git.commit"),
            Environment = Tag("runner.environment"),
        };
    }

    // The tags runner.metric_def.<id> = "<version>"; null when the run has none (logged before definitions were versioned).
    private static Dictionary<string, int>? ReadDefinitions(IEnumerable<KeyValuePair<string, string>> tags, string runId)
    {
        Dictionary<string, int>? definitions = null;
        foreach (var (key, value) in tags)
        {
            if (!key.StartsWith(MetricCatalog.TagPrefix, StringComparison.Ordinal)) continue;
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
                throw new RunnerException($"--mlflow-run {runId}: tag {key} is '{value}', not a definition version (a positive integer)", exitCode: 2);
            (definitions ??= new(StringComparer.Ordinal))[key[MetricCatalog.TagPrefix.Length..]] = version;
        }
        return definitions;
    }
}
