using System.Security.Cryptography;
using Runner.Core.Data;
using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// Reads an activation dataset written by <see cref="ActivationShardWriter"/>: the shards are
/// memory-mapped (validated on open) and batches are gathered from the mapping on a background
/// thread. Two orders:
/// <list type="bullet">
/// <item><see cref="Read"/>: shuffled across sequences and shards, deterministic from a seed, resumable at any row position (training).</item>
/// <item><see cref="ReadSequential"/>: rows in dataset order (evaluation; whole sequences when the batch size is a multiple of the sequence length).</item>
/// </list>
/// Every batch owns its tensors (copies, never views of the mapping) and belongs to no
/// <see cref="TensorScope"/>: the consumer disposes it. Dispose the reader after the enumerations.
/// </summary>
public sealed partial class ActivationShardReader : IDisposable
{
    private readonly Shard[] _shards;
    private readonly ActivationReadOptions _options;

    private ActivationShardReader(string folder, ActivationIndex index, Shard[] shards, ActivationReadOptions options)
    {
        Folder = folder;
        Index = index;
        _shards = shards;
        _options = options;
    }

    /// <summary>The dataset folder (absolute).</summary>
    public string Folder { get; }

    /// <summary>The dataset's index.</summary>
    public ActivationIndex Index { get; }

    /// <summary>Width of a row.</summary>
    public int DIn => Index.DIn;

    /// <summary>Rows in the dataset.</summary>
    public long Rows => Index.Rows;

    /// <summary>Rows per sequence.</summary>
    public int SequenceLength => Index.SequenceLength;

    /// <summary>True when batches carry labels.</summary>
    public bool HasLabels => Index.HasLabels;

    /// <summary>
    /// Opens the dataset in <paramref name="folder"/>: reads <c>index.json</c>, then opens, validates
    /// and maps every shard, checking its tensors against the index. Problems are
    /// <see cref="RunnerException"/>s naming the file.
    /// </summary>
    public static ActivationShardReader Open(string folder, ActivationReadOptions? options = null)
    {
        options ??= new ActivationReadOptions();
        if (options.Prefetch < 0) throw new ArgumentOutOfRangeException(nameof(options), "Prefetch must be >= 0");
        var full = Path.GetFullPath(folder);
        var index = ActivationIndex.Read(full);
        var shards = new List<Shard>();
        try
        {
            // Tensors made here are the reader's state: no scope of the caller may dispose them.
            using var scope = TensorScope.Enter();
            foreach (var info in index.Shards) shards.Add(Shard.Open(full, info, index));
            return new ActivationShardReader(full, index, [.. shards], options);
        }
        catch
        {
            foreach (var s in shards) s.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Recomputes the SHA-256 of every shard whose index entry has one; a <see cref="RunnerException"/>
    /// naming the first that differs. Returns how many shards were checked.
    /// </summary>
    public int VerifyChecksums()
    {
        var checkedCount = 0;
        foreach (var shard in _shards)
        {
            if (shard.Info.Sha256 is not { } expected) continue;
            using var stream = File.OpenRead(shard.File.Path);
            var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                throw new RunnerException($"{shard.File.Path}: SHA-256 is {actual}, the index says {expected}: the shard changed after it was written");
            checkedCount++;
        }
        return checkedCount;
    }

    /// <summary>Releases the mappings (batches already handed out stay valid).</summary>
    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
        if (_options.DeleteOnDispose && Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }

    /// <summary>One mapped shard: views over its tensors, held for the reader's lifetime.</summary>
    private sealed class Shard : IDisposable
    {
        private Shard(ActivationShardInfo info, SafetensorsFile file, Tensor activations, Tensor tokenIds, Tensor? labels)
        {
            Info = info;
            File = file;
            Activations = activations;
            TokenIds = tokenIds;
            Labels = labels;
        }

        public ActivationShardInfo Info { get; }
        public SafetensorsFile File { get; }
        public Tensor Activations { get; }
        public Tensor TokenIds { get; }
        public Tensor? Labels { get; }
        public long FirstRow => Info.FirstRow;
        public long EndRow => Info.FirstRow + Info.Rows;

        public static Shard Open(string folder, ActivationShardInfo info, ActivationIndex index)
        {
            var path = Path.Combine(folder, info.File);
            if (!System.IO.File.Exists(path))
                throw new RunnerException($"{path}: shard listed in {ActivationIndex.FileName} is missing");
            var length = new FileInfo(path).Length;
            if (length != info.Bytes)
                throw new RunnerException($"{path}: shard is {length} bytes, {ActivationIndex.FileName} says {info.Bytes} (truncated or replaced)");
            var file = SafetensorsFile.Open(path);
            try
            {
                Expect(file, ActivationIndex.ActivationsTensor, index.DType, [info.Rows, index.DIn]);
                Expect(file, ActivationIndex.TokenIdsTensor, DType.Int64, [info.Rows]);
                if (index.HasLabels) Expect(file, ActivationIndex.LabelsTensor, DType.Int64, [info.Rows]);
                return new Shard(info, file,
                    file.Map(ActivationIndex.ActivationsTensor).DetachFromScope(),
                    file.Map(ActivationIndex.TokenIdsTensor).DetachFromScope(),
                    index.HasLabels ? file.Map(ActivationIndex.LabelsTensor).DetachFromScope() : null);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        private static void Expect(SafetensorsFile file, string name, DType dtype, long[] shape)
        {
            if (!file.Contains(name))
                throw new RunnerException($"{file.Path}: no tensor '{name}' (it has {string.Join(", ", file.Names)})");
            var info = file.Info(name);
            if (info.DType != dtype || !info.Shape.SequenceEqual(shape))
                throw new RunnerException($"{file.Path}: tensor '{name}' is {info.Describe()}, {ActivationIndex.FileName} implies {SafetensorsDTypes.Name(dtype)} [{string.Join(", ", shape)}]");
        }

        public void Dispose()
        {
            Activations.Dispose();
            TokenIds.Dispose();
            Labels?.Dispose();
            File.Dispose();
        }
    }
}
