using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Runner.Core.Data;
using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// Writes an activation dataset (see <see cref="ActivationIndex"/>): append whole sequences of rows
/// with their token ids (and labels), then <see cref="Complete"/>. Rows are buffered in memory up to
/// one shard (<see cref="ActivationShardOptions.MaxShardBytes"/>), converted to the storage dtype,
/// and each full shard is written as a safetensors file. The index is written last, so a folder
/// without <c>index.json</c> is an unfinished dataset; disposing the writer before
/// <see cref="Complete"/> deletes the shards it wrote. Not thread-safe.
/// </summary>
public sealed class ActivationShardWriter : IDisposable
{
    private readonly string _folder;
    private readonly ActivationShardOptions _options;
    private readonly long _rowsPerShard;
    private readonly List<ActivationShardInfo> _shards = [];
    private readonly List<long> _tokenIds = [];
    private readonly List<long> _labels = [];
    private Tensor? _buffer;     // [capacity, d_in] in the storage dtype; rows [0, _filled) are pending
    private long _filled;
    private long _firstRow;
    private bool _completed;

    private ActivationShardWriter(string folder, ActivationShardOptions options)
    {
        _folder = folder;
        _options = options;
        _rowsPerShard = RowsPerShardFor(options);
    }

    /// <summary>Rows per shard of a dataset laid out by <paramref name="options"/>: whole sequences, at most MaxShardBytes (one sequence at least).</summary>
    public static long RowsPerShardFor(ActivationShardOptions options)
    {
        // Row counts stay int-sized: the token id lists and tensor copies index with int.
        var sequences = Math.Clamp(options.MaxShardBytes / (RowBytes(options) * options.SequenceLength), 1, Math.Max(1, (1L << 30) / options.SequenceLength));
        return sequences * options.SequenceLength;
    }

    /// <summary>Bytes of one row on disk: the activation in the storage dtype, its token id and, with labels, its label.</summary>
    public static long RowBytes(ActivationShardOptions options) =>
        (long)options.DIn * options.DType.ElementSize() + 8 + (options.Labels ? 8 : 0);

    /// <summary>Rows appended so far.</summary>
    public long Rows => _firstRow + _filled;

    /// <summary>Rows per shard: at most this many rows are ever held in memory, however many are appended.</summary>
    public long RowsPerShard => _rowsPerShard;

    /// <summary>
    /// Bytes the writer holds in memory now: the pending rows' buffer (its capacity) and the pending token ids
    /// and labels. Bounded by one shard (<see cref="ActivationShardOptions.MaxShardBytes"/>, or one sequence
    /// when a sequence is larger), whatever the number of rows appended.
    /// </summary>
    public long BufferedBytes =>
        (_buffer is null ? 0 : _buffer.Size(0) * _options.DIn * _options.DType.ElementSize())
        + 8L * (_tokenIds.Capacity + _labels.Capacity);

    /// <summary>
    /// The bytes a dataset of <paramref name="rows"/> rows laid out by <paramref name="options"/> takes on disk:
    /// every shard (safetensors header and tensors) plus <c>index.json</c>. The headers are estimated
    /// (a few hundred bytes each); the tensor data is exact.
    /// </summary>
    public static long EstimateBytes(ActivationShardOptions options, long rows)
    {
        if (rows <= 0) return IndexBaseBytes;
        var rowsPerShard = RowsPerShardFor(options);
        var shards = (rows + rowsPerShard - 1) / rowsPerShard;
        var rowBytes = RowBytes(options);
        var metadata = options.Metadata.Sum(p => p.Key.Length + p.Value.Length + 8L);
        return rows * rowBytes + shards * (ShardHeaderBytes + IndexShardBytes + (options.ComputeSha256 ? 80 : 0)) + IndexBaseBytes + metadata;
    }

    // Measured on written datasets: a shard's safetensors header (three tensors and the metadata) is ~330 bytes,
    // its index.json entry ~130; the index without shards ~250 plus the metadata.
    private const long ShardHeaderBytes = 352;
    private const long IndexShardBytes = 136;
    private const long IndexBaseBytes = 256;

    /// <summary>Starts a dataset in <paramref name="folder"/> (created; it must not hold one already).</summary>
    public static ActivationShardWriter Create(string folder, ActivationShardOptions options)
    {
        if (options.DIn <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"DIn must be positive, got {options.DIn}");
        if (options.SequenceLength <= 0) throw new ArgumentOutOfRangeException(nameof(options), $"SequenceLength must be positive, got {options.SequenceLength}");
        if (options.DType is not (DType.Float32 or DType.BFloat16 or DType.Float16))
            throw new ArgumentException($"activations are stored as float32, bfloat16 or float16, not {options.DType.Name()}", nameof(options));
        var full = Path.GetFullPath(folder);
        if (File.Exists(Path.Combine(full, ActivationIndex.FileName)))
            throw new RunnerException($"{full} already holds an activation dataset; write into an empty folder");
        Directory.CreateDirectory(full);
        return new ActivationShardWriter(full, options);
    }

    /// <summary>Appends <paramref name="batch"/>'s rows, token ids and labels.</summary>
    public void Append(ActivationBatch batch) =>
        Append(batch.Activations, batch.TokenIds ?? throw new ArgumentException("the batch has no token ids", nameof(batch)), batch.Labels);

    /// <summary>
    /// Appends rows: <paramref name="activations"/> [n, d_in] (any float dtype or device),
    /// <paramref name="tokenIds"/> [n] and, when the dataset has labels, <paramref name="labels"/> [n]
    /// (integers). n must be a multiple of the sequence length: whole sequences only.
    /// </summary>
    public void Append(Tensor activations, Tensor tokenIds, Tensor? labels = null)
    {
        if (_completed) throw new InvalidOperationException("the dataset is already complete");
        var shape = activations.Shape;
        if (shape.Length != 2 || shape[1] != _options.DIn)
            throw new ArgumentException($"activations must be [n, {_options.DIn}], got [{string.Join(", ", shape)}]", nameof(activations));
        if (!activations.DType.IsFloatingPoint())
            throw new ArgumentException($"activations must be floating point, got {activations.DType.Name()}", nameof(activations));
        var n = shape[0];
        if (n % _options.SequenceLength != 0)
            throw new ArgumentException($"{n} rows are not whole sequences of {_options.SequenceLength}", nameof(activations));
        CheckRowVector(tokenIds, n, nameof(tokenIds));
        if (_options.Labels)
            CheckRowVector(labels ?? throw new ArgumentException("this dataset has labels: pass them", nameof(labels)), n, nameof(labels));
        else if (labels is not null)
            throw new ArgumentException("this dataset has no labels (ActivationShardOptions.Labels is false)", nameof(labels));

        using var scope = TensorScope.Enter();
        var source = activations.Detach();
        _tokenIds.AddRange(tokenIds.To(Device.Cpu, DType.Int64).ToArray<long>());
        if (labels is not null) _labels.AddRange(labels.To(Device.Cpu, DType.Int64).ToArray<long>());
        for (long done = 0; done < n;)
        {
            var take = Math.Min(_rowsPerShard - _filled, n - done);
            EnsureCapacity(_filled + take);
            _buffer!.Narrow(0, _filled, take).Copy_(source.Narrow(0, done, take));
            _filled += take;
            done += take;
            if (_filled == _rowsPerShard) FlushShard();
        }
    }

    /// <summary>Writes the last shard and the index; returns the index.</summary>
    public ActivationIndex Complete()
    {
        if (_completed) throw new InvalidOperationException("the dataset is already complete");
        FlushShard();
        var index = new ActivationIndex
        {
            DIn = _options.DIn,
            DType = _options.DType,
            Rows = _firstRow,
            SequenceLength = _options.SequenceLength,
            HasLabels = _options.Labels,
            Metadata = _options.Metadata,
            Shards = [.. _shards],
        };
        index.Write(_folder);
        _completed = true;
        ReleaseBuffer();
        return index;
    }

    /// <summary>Frees the buffer; before <see cref="Complete"/>, also deletes the shards written.</summary>
    public void Dispose()
    {
        ReleaseBuffer();
        if (_completed) return;
        _completed = true;
        foreach (var shard in _shards)
        {
            try { File.Delete(Path.Combine(_folder, shard.File)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    private static void CheckRowVector(Tensor t, long n, string name)
    {
        var shape = t.Shape;
        if (shape.Length != 1 || shape[0] != n)
            throw new ArgumentException($"{name} must be [{n}], got [{string.Join(", ", shape)}]", name);
        if (t.DType.IsFloatingPoint() || t.DType == DType.Bool)
            throw new ArgumentException($"{name} must hold integers, got {t.DType.Name()}", name);
    }

    // Grows the pending buffer geometrically up to one shard, so a small dataset never reserves a whole shard.
    private void EnsureCapacity(long rows)
    {
        var capacity = _buffer?.Size(0) ?? 0;
        if (rows <= capacity) return;
        var grown = Math.Min(_rowsPerShard, Math.Max(rows, Math.Max(capacity * 2, 1024)));
        var bigger = Tensors.Empty([grown, _options.DIn], _options.DType).DetachFromScope();
        if (_filled > 0)
        {
            using var dst = bigger.Narrow(0, 0, _filled);
            using var src = _buffer!.Narrow(0, 0, _filled);
            dst.Copy_(src);
        }
        _buffer?.Dispose();
        _buffer = bigger;
    }

    private void FlushShard()
    {
        if (_filled == 0) return;
        var file = $"shard-{_shards.Count:D5}.safetensors";
        var path = Path.Combine(_folder, file);
        using (var scope = TensorScope.Enter())
        {
            var tensors = new Dictionary<string, Tensor>
            {
                [ActivationIndex.ActivationsTensor] = _buffer!.Narrow(0, 0, _filled),
                [ActivationIndex.TokenIdsTensor] = Tensors.From<long>(CollectionsMarshal.AsSpan(_tokenIds)[..(int)_filled]),
            };
            if (_options.Labels) tensors[ActivationIndex.LabelsTensor] = Tensors.From<long>(CollectionsMarshal.AsSpan(_labels)[..(int)_filled]);
            SafetensorsWriter.Write(path, tensors, new Dictionary<string, string>
            {
                ["format"] = ActivationIndex.FormatName,
                ["first_row"] = _firstRow.ToString(CultureInfo.InvariantCulture),
                ["sequence_length"] = _options.SequenceLength.ToString(CultureInfo.InvariantCulture),
            });
        }
        string? sha = null;
        if (_options.ComputeSha256)
        {
            using var stream = File.OpenRead(path);
            sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        _shards.Add(new ActivationShardInfo { File = file, FirstRow = _firstRow, Rows = _filled, Bytes = new FileInfo(path).Length, Sha256 = sha });
        _tokenIds.RemoveRange(0, (int)_filled);
        if (_options.Labels) _labels.RemoveRange(0, (int)_filled);
        _firstRow += _filled;
        _filled = 0;
    }

    private void ReleaseBuffer()
    {
        _buffer?.Dispose();
        _buffer = null;
    }
}
