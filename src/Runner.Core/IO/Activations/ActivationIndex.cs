using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// <c>index.json</c> of an activation dataset folder: what the shards hold and where each row is.
/// <code>
/// { "format": "runner-activations", "version": 1, "d_in": 768, "dtype": "bfloat16", "rows": 1048576,
///   "sequence_length": 128, "labels": false, "metadata": { "hook": "blocks.6.hook_resid_post" },
///   "shards": [ { "file": "shard-00000.safetensors", "first_row": 0, "rows": 174720, "bytes": 269001032,
///                 "sha256": "…" (optional) }, … ] }
/// </code>
/// Each shard holds <c>activations</c> [rows, d_in] (dtype), <c>token_ids</c> [rows] (I64) and, with
/// labels, <c>labels</c> [rows] (I64). Row r of the dataset is row r - first_row of its shard; a
/// sequence is <c>sequence_length</c> consecutive rows starting at a multiple of it.
/// </summary>
public sealed record ActivationIndex
{
    /// <summary>The index file's name inside the dataset folder.</summary>
    public const string FileName = "index.json";

    /// <summary>The <c>format</c> value.</summary>
    public const string FormatName = "runner-activations";

    /// <summary>The <c>version</c> this code writes and reads.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Tensor name of the activation rows in a shard.</summary>
    public const string ActivationsTensor = "activations";

    /// <summary>Tensor name of the token ids in a shard.</summary>
    public const string TokenIdsTensor = "token_ids";

    /// <summary>Tensor name of the labels in a shard.</summary>
    public const string LabelsTensor = "labels";

    /// <summary>Width of a row.</summary>
    public required int DIn { get; init; }

    /// <summary>Storage dtype of the activations (float32, bfloat16 or float16).</summary>
    public required DType DType { get; init; }

    /// <summary>Rows in the dataset.</summary>
    public required long Rows { get; init; }

    /// <summary>Rows per sequence (1 when rows are independent).</summary>
    public required int SequenceLength { get; init; }

    /// <summary>True when every shard has a <c>labels</c> tensor.</summary>
    public bool HasLabels { get; init; }

    /// <summary>Free-form description from the producer (model, hook, corpus), sorted on write.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The shards in row order.</summary>
    public required IReadOnlyList<ActivationShardInfo> Shards { get; init; }

    /// <summary>Writes <c>index.json</c> into <paramref name="folder"/> atomically (temp file + rename).</summary>
    public void Write(string folder)
    {
        var metadata = new JsonObject();
        foreach (var (k, v) in Metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) metadata[k] = v;
        var shards = new JsonArray();
        foreach (var s in Shards)
        {
            var o = new JsonObject { ["file"] = s.File, ["first_row"] = s.FirstRow, ["rows"] = s.Rows, ["bytes"] = s.Bytes };
            if (s.Sha256 is not null) o["sha256"] = s.Sha256;
            shards.Add(o);
        }
        var root = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = CurrentVersion,
            ["d_in"] = DIn,
            ["dtype"] = DType.Name(),
            ["rows"] = Rows,
            ["sequence_length"] = SequenceLength,
            ["labels"] = HasLabels,
            ["metadata"] = metadata,
            ["shards"] = shards,
        };
        var path = Path.Combine(folder, FileName);
        var temp = Path.Combine(folder, $".{FileName}.tmp-{Guid.NewGuid():N}");
        File.WriteAllText(temp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads and checks <c>index.json</c> of <paramref name="folder"/>; a <see cref="RunnerException"/> naming the key when wrong.</summary>
    public static ActivationIndex Read(string folder)
    {
        var path = Path.Combine(Path.GetFullPath(folder), FileName);
        if (!File.Exists(path))
            throw new RunnerException($"{Path.GetFullPath(folder)}: not an activation dataset ({FileName} is missing; an unfinished capture leaves none)");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new RunnerException($"{path}: expected a JSON object");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"{path}: cannot read: {e.Message}", inner: e);
        }
        RunnerException Bad(string what) => new($"{path}: {what}");
        var format = String(root, "format", path);
        if (format != FormatName) throw Bad($"format: expected \"{FormatName}\", got \"{format}\"");
        var version = Integer(root, "version", path);
        if (version != CurrentVersion) throw Bad($"version: this Runner reads version {CurrentVersion}, the dataset is version {version}");
        var dIn = Integer(root, "d_in", path);
        if (dIn <= 0 || dIn > int.MaxValue) throw Bad($"d_in: must be a positive int, got {dIn}");
        DType dtype;
        try
        {
            dtype = DTypes.Parse(String(root, "dtype", path));
        }
        catch (FormatException e)
        {
            throw Bad($"dtype: {e.Message}");
        }
        if (dtype is not (DType.Float32 or DType.BFloat16 or DType.Float16)) throw Bad($"dtype: must be float32, bfloat16 or float16, got {dtype.Name()}");
        var rows = Integer(root, "rows", path);
        if (rows < 0) throw Bad($"rows: must be >= 0, got {rows}");
        var sequence = Integer(root, "sequence_length", path);
        if (sequence < 1 || sequence > int.MaxValue) throw Bad($"sequence_length: must be a positive int, got {sequence}");
        var labels = root["labels"] is JsonValue l && l.TryGetValue<bool>(out var b) ? b : throw Bad("labels: expected true or false");
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root["metadata"] is JsonObject m)
        {
            foreach (var (k, v) in m)
                metadata[k] = v is JsonValue sv && sv.TryGetValue<string>(out var s) ? s : throw Bad($"metadata.{k}: expected a string");
        }
        if (root["shards"] is not JsonArray array) throw Bad("shards: expected an array");
        var shards = new List<ActivationShardInfo>();
        long next = 0;
        for (var i = 0; i < array.Count; i++)
        {
            var where = $"shards[{i}]";
            if (array[i] is not JsonObject o) throw Bad($"{where}: expected an object");
            var file = String(o, "file", path, where);
            if (file.Length == 0 || file.Contains('/') || file.Contains('\\') || file is "." or "..")
                throw Bad($"{where}.file: must be a file name inside the folder, got \"{file}\"");
            var shard = new ActivationShardInfo
            {
                File = file,
                FirstRow = Integer(o, "first_row", path, where),
                Rows = Integer(o, "rows", path, where),
                Bytes = Integer(o, "bytes", path, where),
                Sha256 = o["sha256"] is JsonValue h && h.TryGetValue<string>(out var hex) ? hex : null,
            };
            if (shard.FirstRow != next) throw Bad($"{where}.first_row: expected {next} (shards must cover the rows in order), got {shard.FirstRow}");
            if (shard.Rows <= 0 || shard.Rows % sequence != 0) throw Bad($"{where}.rows: must be a positive multiple of sequence_length {sequence}, got {shard.Rows}");
            next += shard.Rows;
            shards.Add(shard);
        }
        if (next != rows) throw Bad($"rows: is {rows} but the shards hold {next}");
        return new ActivationIndex
        {
            DIn = (int)dIn, DType = dtype, Rows = rows, SequenceLength = (int)sequence, HasLabels = labels, Metadata = metadata, Shards = shards,
        };
    }

    private static long Integer(JsonObject o, string key, string path, string? where = null) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n) ? n
            : throw new RunnerException($"{path}: {(where is null ? "" : where + ".")}{key}: expected an integer");

    private static string String(JsonObject o, string key, string path, string? where = null) =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s
            : throw new RunnerException($"{path}: {(where is null ? "" : where + ".")}{key}: expected a string");
}
