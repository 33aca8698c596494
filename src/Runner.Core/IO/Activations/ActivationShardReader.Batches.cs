using Runner.Core.Data;
using Runner.Torch;

namespace Runner.Core.IO;

// The batch streams: which rows go in each batch (plans) and how they are copied out (gathers).
public sealed partial class ActivationShardReader
{
    /// <summary>
    /// The training stream: batches of <paramref name="batchSize"/> rows, shuffled across sequences
    /// and shards.
    /// <para>
    /// <b>The stream.</b> Epoch e (0, 1, …) visits every row exactly once, in the order of a
    /// permutation of [0, <see cref="Rows"/>) that depends only on (<paramref name="seed"/>, e); the
    /// stream is epoch 0's order, then epoch 1's, and so on — <paramref name="epochs"/> of them, or
    /// without end when null. A stream position p is row <c>perm_{p / Rows}[p % Rows]</c>.
    /// </para>
    /// <para>
    /// <b>Batches.</b> Batch i holds the rows at positions [startRow + i·batchSize, startRow + (i+1)·batchSize)
    /// (a batch may span two epochs; the last batch of a finite stream may be shorter), ordered by
    /// row number within the batch (the permutation decides which rows, not their order inside the
    /// batch; ascending order makes the gather read the mapping forwards).
    /// </para>
    /// <para>
    /// <b>Resume.</b> Positions are absolute, so a trainer that has consumed N rows (N = steps ×
    /// batchSize) and calls <c>Read(batchSize, seed, startRow: N, epochs)</c> receives exactly the
    /// batches an uninterrupted enumeration would have produced next. <paramref name="startRow"/> may
    /// exceed <see cref="Rows"/> (a later epoch).
    /// </para>
    /// <para>
    /// <b>Ownership.</b> Batches are gathered on a background thread up to
    /// <see cref="ActivationReadOptions.Prefetch"/> ahead. Each is a copy owned by the consumer, in no
    /// <see cref="TensorScope"/>: dispose it after use. Stopping early (break, Take, disposing the
    /// enumerator) stops the thread and disposes the batches not handed out.
    /// </para>
    /// </summary>
    /// <param name="batchSize">Rows per batch (&gt; 0).</param>
    /// <param name="seed">Selects the permutations.</param>
    /// <param name="startRow">Stream position of the first row to deliver (&gt;= 0).</param>
    /// <param name="epochs">Passes over the data (&gt; 0), or null for an endless stream.</param>
    public IEnumerable<ActivationBatch> Read(int batchSize, ulong seed, long startRow = 0, int? epochs = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(startRow);
        if (epochs is <= 0) throw new ArgumentOutOfRangeException(nameof(epochs), epochs, "epochs must be positive, or null for an endless stream");
        if (Rows == 0) return [];
        var end = epochs is { } e ? checked(e * Rows) : long.MaxValue;
        return Prefetcher.Run(ShuffledPlan(batchSize, seed, startRow, end).Select(Gather), _options.Prefetch, "activation prefetch");
    }

    /// <summary>
    /// This dataset as the trainer's <see cref="IActivationSource"/>: <c>Read(startRow, batchSize)</c> is
    /// <c>Read(batchSize, seed, startRow, epochs)</c> (endless by default; the trainer stops at its budget).
    /// </summary>
    public IActivationSource AsSource(ulong seed, int? epochs = null) => new ShuffledSource(this, seed, epochs);

    /// <summary>
    /// Rows in dataset order: batches of <paramref name="batchSize"/> consecutive rows from
    /// <paramref name="startRow"/>, <paramref name="rowCount"/> rows in all (default: to the end; the
    /// last batch may be shorter). With a batch size that is a multiple of <see cref="SequenceLength"/>
    /// and a start at a sequence boundary, every batch holds whole sequences. Prefetched and owned
    /// as in <see cref="Read"/>.
    /// </summary>
    public IEnumerable<ActivationBatch> ReadSequential(int batchSize, long startRow = 0, long? rowCount = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var end = CheckRange(startRow, rowCount ?? Math.Max(0, Rows - startRow));
        return Prefetcher.Run(SequentialPlan(batchSize, startRow, end), _options.Prefetch, "activation prefetch");
    }

    /// <summary>
    /// Rows [<paramref name="startRow"/>, <paramref name="startRow"/> + <paramref name="count"/>) copied
    /// on the calling thread, e.g. a sample to estimate a normalization. Owned like every batch: by
    /// the caller, in no scope.
    /// </summary>
    public ActivationBatch ReadRows(long startRow, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        CheckRange(startRow, count);
        return Slice(startRow, count);
    }

    private long CheckRange(long startRow, long count)
    {
        if (startRow < 0 || count < 0 || startRow > Rows || count > Rows - startRow)
            throw new ArgumentOutOfRangeException(nameof(startRow), $"rows [{startRow}, {startRow} + {count}) are outside the dataset's {Rows} rows");
        return startRow + count;
    }

    private IEnumerable<long[]> ShuffledPlan(int batchSize, ulong seed, long startRow, long end)
    {
        int[]? order = null;
        var orderEpoch = -1L;
        for (var p = startRow; p < end;)
        {
            var count = (int)Math.Min(batchSize, end - p);
            var rows = new long[count];
            for (var k = 0; k < count; k++)
            {
                var epoch = (p + k) / Rows;
                if (epoch != orderEpoch)
                {
                    order = RowPermutation.Create(Rows, seed, epoch);
                    orderEpoch = epoch;
                }
                rows[k] = order![(p + k) % Rows];
            }
            Array.Sort(rows);
            yield return rows;
            p += count;
        }
    }

    private IEnumerable<ActivationBatch> SequentialPlan(int batchSize, long startRow, long end)
    {
        for (var p = startRow; p < end; p += batchSize) yield return Slice(p, (int)Math.Min(batchSize, end - p));
    }

    // rows: ascending dataset rows (repeats allowed). One index_select per shard touched.
    private ActivationBatch Gather(long[] rows)
    {
        using var scope = TensorScope.Enter();
        var parts = new Parts();
        for (var i = 0; i < rows.Length;)
        {
            var shard = _shards[ShardOf(rows[i])];
            var j = i;
            while (j < rows.Length && rows[j] < shard.EndRow) j++;
            var local = new long[j - i];
            for (var k = 0; k < local.Length; k++) local[k] = rows[i + k] - shard.FirstRow;
            var index = Tensors.From(local);
            parts.Add(shard.Activations.IndexSelect(0, index), shard.TokenIds.IndexSelect(0, index), shard.Labels?.IndexSelect(0, index));
            i = j;
        }
        return parts.Finish(_options, copied: true);
    }

    // Consecutive rows [start, start + count): views of each shard touched, copied once.
    private ActivationBatch Slice(long start, int count)
    {
        using var scope = TensorScope.Enter();
        var parts = new Parts();
        for (var p = start; p < start + count;)
        {
            var shard = _shards[ShardOf(p)];
            var n = Math.Min(start + count, shard.EndRow) - p;
            var local = p - shard.FirstRow;
            parts.Add(shard.Activations.Narrow(0, local, n), shard.TokenIds.Narrow(0, local, n), shard.Labels?.Narrow(0, local, n));
            p += n;
        }
        return parts.Finish(_options, copied: false);
    }

    private int ShardOf(long row)
    {
        int lo = 0, hi = _shards.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_shards[mid].FirstRow <= row) lo = mid;
            else hi = mid - 1;
        }
        return lo;
    }

    private sealed class ShuffledSource(ActivationShardReader reader, ulong seed, int? epochs) : IActivationSource
    {
        public IEnumerable<ActivationBatch> Read(long startRow, int batchSize) => reader.Read(batchSize, seed, startRow, epochs);
    }

    /// <summary>Pieces of one batch from one or more shards, joined into tensors the batch owns.</summary>
    private sealed class Parts
    {
        private readonly List<Tensor> _activations = [];
        private readonly List<Tensor> _tokenIds = [];
        private readonly List<Tensor> _labels = [];

        public void Add(Tensor activations, Tensor tokenIds, Tensor? labels)
        {
            _activations.Add(activations);
            _tokenIds.Add(tokenIds);
            if (labels is not null) _labels.Add(labels);
        }

        // copied: the pieces already have their own storage (a gather); else they are views of the mapping.
        public ActivationBatch Finish(ActivationReadOptions options, bool copied) => new(
            Join(_activations, options.DType, options.Device, copied),
            Join(_tokenIds, null, options.Device, copied),
            _labels.Count > 0 ? Join(_labels, null, options.Device, copied) : null);

        private static Tensor Join(List<Tensor> parts, DType? dtype, Device? device, bool copied)
        {
            var joined = parts.Count == 1 ? parts[0] : Tensors.Cat(parts);
            var owned = copied || parts.Count > 1;
            var targetType = dtype ?? joined.DType;
            var targetDevice = device ?? Device.Cpu;
            if (!owned || targetType != joined.DType || !targetDevice.IsCpu)
                joined = joined.To(targetDevice, targetType, copy: !owned);
            // Out of the gather's scope, into no scope: the consumer owns it (and may be another thread).
            return joined.DetachFromScope();
        }
    }
}
