using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Core.IO;
using Runner.Core.IO.Parquet;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Pipeline.Tables;
using Runner.Torch;

namespace Runner.Pipeline.Hooks;

/// <summary>
/// Everything a hook script's <c>run (ctx: HookContext)</c> gets: the run, the resolved spec, its
/// <c>args</c>, the trained SAE, the metrics so far, the cached activations, the model and tokenizer
/// (when the run has them), and the ways to record results (metrics, params, artifacts, Parquet
/// tables; they land in the run folder and in MLflow). Scripts need no <c>open</c> for it.
/// <example><code>
/// let run (ctx: HookContext) =
///     let k = ctx.ArgInt("k", 5)
///     let stats = ctx.Sae.Stat "density"
///     ctx.LogMetric("dense_features", stats |> Array.filter (fun d -> d > 0.1) |> Array.length |> float)
///     ctx.Log.Info(sprintf "%d features" ctx.Sae.DSae)
/// </code></example>
/// </summary>
public sealed partial class HookContext : IDisposable
{
    private readonly StageContext _stage;
    private readonly HookRecorder _recorder;
    private HookSae? _sae;

    internal HookContext(StageContext stage, HookScriptSpec script, HookRecorder recorder)
    {
        _stage = stage;
        _recorder = recorder;
        Script = script.Path;
        ScriptName = Path.GetFileNameWithoutExtension(script.Path);
        Args = script.Args;
        Log = new HookLogger(stage, ScriptName);
    }

    /// <summary>The run's name (the sweep point's, e.g. <c>k=32</c>, or the experiment's).</summary>
    public string RunName => _stage.Point.RunName;

    /// <summary>The experiment's name.</summary>
    public string Experiment => _stage.Point.Spec.Name;

    /// <summary>The resolved spec of this run (typed).</summary>
    public ExperimentSpec Spec => _stage.Point.Spec;

    /// <summary>The resolved spec of this run as JSON (what <c>resolved.yaml</c> holds).</summary>
    public JsonObject SpecJson => _stage.Point.Json;

    /// <summary>The script's path.</summary>
    public string Script { get; }

    /// <summary>The script's file name without <c>.fsx</c>; its metrics are named <c>STAGE.SCRIPT.NAME</c>.</summary>
    public string ScriptName { get; }

    /// <summary>The script's <c>args</c> from the spec.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Args { get; }

    /// <summary>A folder of the hook's own, inside its stage output (kept with the run).</summary>
    public string OutputDirectory
    {
        get
        {
            var dir = Path.Combine(_stage.OutputDirectory, "scripts", ScriptName);
            Directory.CreateDirectory(dir);
            return dir;
        }
    }

    /// <summary>Logs lines to the run's progress output.</summary>
    public HookLogger Log { get; }

    /// <summary>Cancelled on Ctrl-C: long loops should call <c>ThrowIfCancellationRequested</c>.</summary>
    public CancellationToken CancellationToken => _stage.CancellationToken;

    /// <summary>The final metrics of the stages this hook runs after, by their run name (<c>evaluate.fvu</c>).</summary>
    public IReadOnlyDictionary<string, double> Metrics =>
        _stage.Inputs.Values.SelectMany(i => i.Metrics.Select(m => KeyValuePair.Create($"{i.Stage}.{m.Key}", m.Value)))
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>True when stage <paramref name="stage"/> ran for this point (and this hook runs after it).</summary>
    public bool Has(string stage) => _stage.Inputs.ContainsKey(stage);

    /// <summary>The output folder of stage <paramref name="stage"/> (read only).</summary>
    public string StageDirectory(string stage) => _stage.Input(stage).Directory;

    /// <summary>The trained SAE (with evaluate's statistics when evaluate ran); loaded on first use.</summary>
    public HookSae Sae => _sae ??= new HookSae(Path.Combine(_stage.Input("train").Directory, "sae"),
        Has("evaluate") ? Path.Combine(StageDirectory("evaluate"), "feature_stats.safetensors") : null);

    /// <summary>The top-activating examples of the strongest features (evaluate's <c>top_examples.json</c>); empty without a model.</summary>
    public IReadOnlyList<TopExamples.Feature> TopExamples =>
        Has("evaluate") ? Tables.TopExamples.Read(Path.Combine(StageDirectory("evaluate"), "top_examples.json")) ?? [] : [];

    /// <summary>
    /// The feature evaluate matched to planted topic <paramref name="topic"/> (what <c>auto:TOPIC</c>
    /// clamps use); a RunnerException when the run has no topic matching or no feature for it.
    /// </summary>
    public int TopicFeature(string topic)
    {
        var path = Path.Combine(StageDirectory("evaluate"), Builtin.TopicEvaluation.FileName);
        if (!File.Exists(path)) throw new RunnerException($"this run has no topic matching ({Builtin.TopicEvaluation.FileName}: planted-topics corpora only)");
        var (topics, _) = Builtin.TopicEvaluation.Read(path);
        return topics.TryGetValue(topic, out var t) && t.Auto is { } f ? f
            : throw new RunnerException($"no feature matches topic '{topic}' (topics: {string.Join(", ", topics.Keys)})");
    }

    /// <summary>
    /// A reader over the captured activations, <paramref name="split"/> <c>eval</c> or <c>train</c> (with data.store: stream
    /// the eval rows are recomputed from the model, see <see cref="Builtin.EvalActivations"/>)
    /// (dispose it: <c>use reader = ctx.Activations()</c>; batches: <c>reader.ReadSequential(4096, 0, reader.Rows)</c>).
    /// </summary>
    public ActivationShardReader Activations(string split = "eval") =>
        split == "train" && Spec.Data.Store == DataStore.Stream
            ? throw new RunnerException("activations: the train split is not stored with data.store: stream (the eval split is)")
            : split == "eval" ? Builtin.EvalActivations.Open(_stage)   // stream mode: recomputed from the eval token ids
            : split == "train"
            ? ActivationShardReader.Open(Path.Combine(_stage.Input("capture").Directory, split), new ActivationReadOptions { DType = DType.Float32 })
            : throw new RunnerException($"activations: split must be eval or train, got '{split}'");

    /// <summary>The string argument <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public string Arg(string name, string fallback) => Args.TryGetValue(name, out var v) && v is not null ? v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v.ToJsonString() : fallback;

    /// <summary>The integer argument <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public int ArgInt(string name, int fallback) => Args.TryGetValue(name, out var v) && v is not null ? ToNumber(name, v, n => checked((int)n)) : fallback;

    /// <summary>The number argument <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public double ArgDouble(string name, double fallback) => Args.TryGetValue(name, out var v) && v is not null ? ToNumber(name, v, n => n) : fallback;

    /// <summary>The list-of-integers argument <paramref name="name"/> (a single number is a list of one), or <paramref name="fallback"/>.</summary>
    public int[] ArgInts(string name, int[] fallback) => Args.TryGetValue(name, out var v) && v is not null
        ? v is JsonArray a ? a.Select(x => ToNumber(name, x!, n => checked((int)n))).ToArray() : [ToNumber(name, v, n => checked((int)n))]
        : fallback;

    /// <summary>The list-of-strings argument <paramref name="name"/> (a single value is a list of one), or <paramref name="fallback"/>.</summary>
    public string[] ArgStrings(string name, string[] fallback) => Args.TryGetValue(name, out var v) && v is not null
        ? v is JsonArray a ? a.Select(x => x is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : x?.ToJsonString() ?? "").ToArray() : [Arg(name, "")]
        : fallback;

    /// <summary>Records metric <paramref name="name"/>; it appears as <c>STAGE.SCRIPT.NAME</c> in metrics.json and MLflow.</summary>
    public void LogMetric(string name, double value) => _recorder.Metrics[$"{ScriptName}.{CheckName(name)}"] = value;

    /// <summary>Records param <paramref name="name"/>; it appears as <c>STAGE.SCRIPT.NAME</c> among the run's MLflow params.</summary>
    public void LogParam(string name, string value) => _recorder.Params[$"{ScriptName}.{CheckName(name)}"] = value;

    /// <summary>Records param <paramref name="name"/> (a number, written invariantly).</summary>
    public void LogParam(string name, double value) => LogParam(name, value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>
    /// Copies file <paramref name="path"/> into the run (<c>stages/STAGE/artifacts/SCRIPT/NAME</c> in the run
    /// folder, <c>hooks/STAGE/SCRIPT/NAME</c> among MLflow's artifacts) under <paramref name="name"/> (default: its file name); returns the copy's path.
    /// </summary>
    public string LogArtifact(string path, string? name = null)
    {
        var target = Path.Combine(_stage.OutputDirectory, HookStage.ArtifactsFolder, ScriptName, CheckName(name ?? Path.GetFileName(path)));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(path, target, overwrite: true);
        return target;
    }

    /// <summary>Writes <paramref name="text"/> as artifact <paramref name="name"/> (see <see cref="LogArtifact"/>).</summary>
    public string LogText(string name, string text)
    {
        var target = Path.Combine(_stage.OutputDirectory, HookStage.ArtifactsFolder, ScriptName, CheckName(name));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.WriteAllText(target, text);
        return target;
    }

    /// <summary>
    /// Writes a Parquet table <c>NAME.parquet</c>: it lands in the run's <c>tables/</c> (and so in MLflow)
    /// beside the built-in tables. Columns: see <see cref="HookColumn"/>. Returns the file's path.
    /// <example><code>ctx.WriteParquet("neighbors", HookColumn("feature", features), HookColumn("cosine", cosines))</code></example>
    /// </summary>
    public string WriteParquet(string name, params HookColumn[] columns)
    {
        CheckName(name);
        if (columns.Length == 0) throw new RunnerException($"WriteParquet {name}: no columns");
        var schema = columns.Select(c => new ParquetColumn(c.Name, TypeOf(name, c), Optional: IsNullable(c.Values))).ToList();
        var file = name.EndsWith(".parquet", StringComparison.Ordinal) ? name : name + ".parquet";
        if (RunTables.IsBuiltinTable(file)) throw new RunnerException($"WriteParquet: {file} is one of Runner's own tables; pick another name");
        var path = Path.Combine(_stage.OutputDirectory, RunTables.Folder, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var writer = new ParquetWriter(path, schema, new ParquetWriterOptions { Compression = ParquetCompression.Gzip });
        writer.Write(columns.Select(c => c.Values).ToArray());
        return writer.Complete();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _sae?.Dispose();
        DisposeModel();
    }

    private static string CheckName(string name) =>
        name.Length > 0 && !name.Contains('/') && !name.Contains('\\') && name is not ("." or "..") ? name
            : throw new RunnerException($"'{name}' is not a valid name for a hook output (no '/', not empty)");

    private static T ToNumber<T>(string name, JsonNode node, Func<double, T> convert) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? convert(v.GetValue<double>())
            : node is JsonValue s && s.TryGetValue<string>(out var text) && double.TryParse(text, CultureInfo.InvariantCulture, out var d) ? convert(d)
            : throw new RunnerException($"hook argument {name}: expected a number, got {node.ToJsonString()}");

    private static bool IsNullable(Array values) => Nullable.GetUnderlyingType(values.GetType().GetElementType()!) is not null || values is string[];

    private static ParquetType TypeOf(string table, HookColumn c) => c.Values switch
    {
        int[] or int?[] => ParquetType.Int32,
        long[] or long?[] => ParquetType.Int64,
        float[] or float?[] => ParquetType.Float,
        double[] or double?[] => ParquetType.Double,
        bool[] or bool?[] => ParquetType.Boolean,
        string[] => ParquetType.String,
        _ => throw new RunnerException($"WriteParquet {table}: column '{c.Name}' is a {c.Values.GetType().Name}; use int[], int64[], float32[], float[], bool[] or string[]"),
    };
}
