using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Core.IO.Parquet;
using Runner.Pipeline.Runs;

namespace Runner.Pipeline.Tables;

/// <summary>
/// The Parquet tables of one run folder, written to <c>tables/</c> from the stage outputs the run
/// has (a synthetic run has no steering or top examples; a failed run may lack stages):
/// <list type="bullet">
/// <item><c>features.parquet</c> — one row per SAE feature: <c>feature</c>, every per-feature
/// statistic of <c>stages/evaluate/feature_stats.safetensors</c> (density, max_activation,
/// mean_activation, …) and <c>top_tokens</c> (JSON array of the feature's top example tokens, or null).</item>
/// <item><c>top_examples.parquet</c> — one row per top-activating example of
/// <c>stages/evaluate/top_examples.json</c>.</item>
/// <item><c>steering.parquet</c> — one row per steered completion of <c>stages/steer/completions.jsonl</c>,
/// with its setting's clamps and the setting's statistics from <c>summary.json</c>.</item>
/// <item><c>training.parquet</c> — one row per curve point of <c>stages/pretrain/curves.json</c>
/// (stage "pretrain") and <c>stages/train/curves.json</c> (stage "train").</item>
/// </list>
/// docs/formats.md lists the columns. Files are GZIP-compressed, written in row groups (the steering
/// table streams its completions) under temporary names and renamed into place.
/// </summary>
public static partial class RunTables
{
    /// <summary>The tables folder inside a run folder.</summary>
    public const string Folder = "tables";

    /// <summary>Per-feature statistics.</summary>
    public const string FeaturesFile = "features.parquet";

    /// <summary>Top-activating examples.</summary>
    public const string TopExamplesFile = "top_examples.parquet";

    /// <summary>Steered completions.</summary>
    public const string SteeringFile = "steering.parquet";

    /// <summary>Training curves.</summary>
    public const string TrainingFile = "training.parquet";

    private static readonly string[] AllFiles = [FeaturesFile, TopExamplesFile, SteeringFile, TrainingFile];

    /// <summary>
    /// Writes <c><paramref name="runDirectory"/>/tables/*.parquet</c> for whatever inputs the run has
    /// and returns the files written (a table whose input is missing is not written, and an older copy
    /// of it is removed). A RunnerException (exit 2) when the folder is not a run folder; exit 1 when a
    /// stage output cannot be read.
    /// </summary>
    public static IReadOnlyList<string> Write(string runDirectory)
    {
        var run = Path.GetFullPath(runDirectory);
        if (!File.Exists(Path.Combine(run, RunFolder.StagesFile)))
            throw new RunnerException($"{run} is not a run folder (no {RunFolder.StagesFile})", exitCode: 2);
        var tables = Path.Combine(run, Folder);
        var written = new List<string>();
        var evaluate = StageFile(run, "evaluate", "");
        var examples = TopExamples.Read(Path.Combine(evaluate, "top_examples.json"));
        var stats = Path.Combine(evaluate, "feature_stats.safetensors");
        if (File.Exists(stats)) written.Add(WriteFeatures(Path.Combine(tables, FeaturesFile), stats, examples));
        if (examples is { Count: > 0 }) written.Add(WriteTopExamples(Path.Combine(tables, TopExamplesFile), examples));
        var completions = StageFile(run, "steer", "completions.jsonl");
        if (File.Exists(completions)) written.Add(WriteSteering(Path.Combine(tables, SteeringFile), Path.GetDirectoryName(completions)!));
        var training = WriteTraining(Path.Combine(tables, TrainingFile), run);
        if (training is not null) written.Add(training);
        written.AddRange(CopyHookTables(run, tables));
        foreach (var stale in AllFiles.Select(f => Path.Combine(tables, f)).Except(written))
        {
            if (File.Exists(stale)) File.Delete(stale);
        }
        return written;
    }

    /// <summary>True for the name of a built-in table (hooks may not write one).</summary>
    public static bool IsBuiltinTable(string fileName) => AllFiles.Contains(fileName, StringComparer.Ordinal);

    // Tables hook scripts wrote (stages/hooks*/tables/*.parquet) join the run's own, under their names.
    private static IEnumerable<string> CopyHookTables(string run, string tables)
    {
        var stages = Path.Combine(run, RunFolder.StagesFolder);
        if (!Directory.Exists(stages)) yield break;
        foreach (var stage in Directory.EnumerateDirectories(stages).Order(StringComparer.Ordinal))
        {
            if (!Hooks.HookStage.IsHookStage(Path.GetFileName(stage))) continue;
            var folder = Path.Combine(stage, Folder);
            if (!Directory.Exists(folder)) continue;
            foreach (var file in Directory.EnumerateFiles(folder, "*.parquet").Order(StringComparer.Ordinal))
            {
                var target = Path.Combine(tables, Path.GetFileName(file));
                Directory.CreateDirectory(tables);
                File.Copy(file, target, overwrite: true);
                yield return target;
            }
        }
    }

    private static readonly ParquetWriterOptions Options = new() { Compression = ParquetCompression.Gzip };

    // JSON text inside table cells keeps non-ASCII characters readable (still valid JSON).
    private static readonly JsonSerializerOptions JsonText = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string StageFile(string run, string stage, string file) => Path.Combine(run, RunFolder.StagesFolder, stage, file);

    /// <summary>Parses a JSON file; RunnerException naming the file when it is malformed.</summary>
    internal static JsonNode ReadJson(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) ?? throw new JsonException("the file is null");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"{path}: cannot read: {e.Message}", inner: e);
        }
    }

    /// <summary>A stage output that does not have the documented shape.</summary>
    internal static RunnerException Malformed(string path, string what) => new($"{path}: {what} (see docs/formats.md)");
}
