using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// A checkpoint split over several safetensors files, as Hugging Face writes it: an index
/// (<c>model.safetensors.index.json</c>: <c>{"metadata": {"total_size": …}, "weight_map": {name: file}}</c>)
/// next to the shard files. Opening validates the index, opens (and validates) every shard, and checks
/// that each tensor of the weight map is in the shard it names. Tensors not in the weight map are not exposed.
/// </summary>
public sealed class ShardedSafetensors : ITensorSource
{
    /// <summary>The index file name Hugging Face uses.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    private readonly Dictionary<string, SafetensorsFile> _shardOf;

    private ShardedSafetensors(string path, IReadOnlyList<SafetensorsFile> shards, Dictionary<string, SafetensorsFile> shardOf, long? totalSize)
    {
        Path = path;
        Shards = shards;
        _shardOf = shardOf;
        TotalSize = totalSize;
        Names = [.. shardOf.Keys.Order(StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>The shard files, in order of first appearance in the weight map.</summary>
    public IReadOnlyList<SafetensorsFile> Shards { get; }

    /// <summary>The index's <c>metadata.total_size</c> (bytes of tensor data), when present.</summary>
    public long? TotalSize { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Names { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata => Shards.Count > 0 ? Shards[0].Metadata : new Dictionary<string, string>();

    /// <summary>Opens the index at <paramref name="indexPath"/> and every shard it names.</summary>
    public static ShardedSafetensors Open(string indexPath)
    {
        var full = System.IO.Path.GetFullPath(indexPath);
        var folder = System.IO.Path.GetDirectoryName(full)!;
        JsonObject index;
        try
        {
            index = JsonNode.Parse(File.ReadAllText(full)) as JsonObject ?? throw new RunnerException($"{full}: the index must be a JSON object");
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RunnerException($"{full}: no such checkpoint index", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new RunnerException($"{full}: cannot read the checkpoint index: {e.Message}", inner: e);
        }
        if (index["weight_map"] is not JsonObject weightMap)
            throw new RunnerException($"{full}: the index has no weight_map object");
        long? totalSize = null;
        if (index["metadata"] is JsonObject metadata && metadata["total_size"] is JsonValue total)
            totalSize = total.TryGetValue<long>(out var t) ? t : total.TryGetValue<double>(out var d) ? (long)d : null;

        var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var shards = new List<SafetensorsFile>();
        var shardOf = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, value) in weightMap)
            {
                var file = value is JsonValue v && v.TryGetValue<string>(out var s) ? s
                    : throw new RunnerException($"{full}: weight_map.{name} must be a file name, got {value?.ToJsonString() ?? "null"}");
                if (!files.TryGetValue(file, out var shard))
                {
                    var shardPath = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, file));
                    if (System.IO.Path.IsPathRooted(file) || !shardPath.StartsWith(folder + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
                        throw new RunnerException($"{full}: weight_map.{name} names '{file}', which is outside the checkpoint folder");
                    if (!File.Exists(shardPath))
                        throw new RunnerException($"{full}: weight_map.{name} names shard '{file}', which does not exist in {folder}");
                    shard = SafetensorsFile.Open(shardPath);
                    files[file] = shard;
                    shards.Add(shard);
                }
                if (!shard.Contains(name))
                    throw new RunnerException($"{full}: weight_map says '{name}' is in '{file}', but that file has no such tensor");
                shardOf[name] = shard;
            }
        }
        catch
        {
            foreach (var shard in shards) shard.Dispose();
            throw;
        }
        return new ShardedSafetensors(full, shards, shardOf, totalSize);
    }

    /// <inheritdoc/>
    public bool Contains(string name) => _shardOf.ContainsKey(name);

    /// <inheritdoc/>
    public SafetensorsTensorInfo Info(string name) => Shard(name).Info(name);

    /// <inheritdoc/>
    public Tensor Map(string name) => Shard(name).Map(name);

    /// <inheritdoc/>
    public Tensor Read(string name, DType? dtype = null) => Shard(name).Read(name, dtype);

    /// <summary>The shard holding <paramref name="name"/>.</summary>
    public SafetensorsFile Shard(string name) =>
        _shardOf.TryGetValue(name, out var shard) ? shard
            : throw new RunnerException($"{Path}: no tensor '{name}' in the weight map (it has {SafetensorsFile.Describe(Names)})");

    /// <summary>Releases every shard (tensors made from them stay valid until disposed).</summary>
    public void Dispose()
    {
        foreach (var shard in Shards) shard.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Path} ({Names.Count} tensors in {Shards.Count} shards)";
}
