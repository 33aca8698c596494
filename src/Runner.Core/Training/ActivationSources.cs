using Runner.Core.Data;
using Runner.Torch;

namespace Runner.Core.Training;

/// <summary>Ready-made <see cref="IActivationSource"/>s: in-memory rows, a delegate, or a replayable enumerable.</summary>
public static class ActivationSources
{
    /// <summary>A source from a function of (start row, batch size), which must honour the <see cref="IActivationSource"/> contract.</summary>
    public static IActivationSource From(Func<long, int, IEnumerable<ActivationBatch>> read) => new DelegateSource(read);

    /// <summary>
    /// Rows of <paramref name="rows"/> [n, d_in] in order, cycling through them endlessly (epoch after
    /// epoch, unshuffled); a batch may wrap around the end. Each batch is a copy, so the caller keeps
    /// ownership of <paramref name="rows"/> and must keep it alive while the source is read.
    /// </summary>
    public static IActivationSource Cycle(Tensor rows) => new DelegateSource((start, batch) => CycleRows(rows, start, batch));

    /// <summary>
    /// A source over an enumerable that can only start at the beginning: opening it at row r
    /// enumerates from the start and disposes the first r rows' batches. Batches keep the sizes the
    /// enumerable gives, so r must fall on a batch boundary.
    /// </summary>
    public static IActivationSource Replaying(Func<IEnumerable<ActivationBatch>> open) => new DelegateSource((start, _) => Skip(open(), start));

    private static IEnumerable<ActivationBatch> CycleRows(Tensor rows, long start, int batchSize)
    {
        var n = rows.Size(0);
        if (n == 0) throw new ArgumentException("the source has no rows", nameof(rows));
        for (var row = start; ; row += batchSize)
            yield return new ActivationBatch(RowsAt(rows, row % n, batchSize));
    }

    // rows [start, start + count) of the cycled sequence, as one new tensor
    private static Tensor RowsAt(Tensor rows, long start, int count)
    {
        using var scope = TensorScope.Enter();
        var n = rows.Size(0);
        var parts = new List<Tensor>();
        for (long got = 0, r = start; got < count; r = 0)
        {
            var take = Math.Min(count - got, n - r);
            parts.Add(rows.Narrow(0, r, take));
            got += take;
        }
        return scope.Keep(parts.Count == 1 ? parts[0].Clone() : Tensors.Cat(parts));
    }

    private static IEnumerable<ActivationBatch> Skip(IEnumerable<ActivationBatch> batches, long start)
    {
        long row = 0;
        foreach (var batch in batches)
        {
            if (row >= start)
            {
                yield return batch;
                continue;
            }
            row += batch.Count;
            batch.Dispose();
            if (row > start) throw new ArgumentException($"cannot open the stream at row {start}: it falls inside a batch ending at row {row}");
        }
    }

    private sealed class DelegateSource(Func<long, int, IEnumerable<ActivationBatch>> read) : IActivationSource
    {
        public IEnumerable<ActivationBatch> Read(long startRow, int batchSize)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(startRow);
            ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
            return read(startRow, batchSize);
        }
    }
}
