using Runner.Core.IO;
using Runner.Torch;

namespace Runner.Core.Streaming;

/// <summary>
/// The shuffle buffer between a row producer and the trainers: the stream is cut into blocks of
/// <c>bufferRows</c> fresh rows; each block is filled, then handed out in the order of a seeded permutation
/// of the block (<see cref="RowPermutation"/> keyed by (seed, block index)), then the next block is filled.
/// <para>
/// Position p of the shuffled stream is therefore fresh row <c>b·B + perm_b[p mod B]</c> with b = p / B: a
/// pure function of (producer, B, seed), so a resumed run reopens the stream at its checkpoint's position by
/// rebuilding only that position's block (the producer skips the blocks before it without computing them).
/// Every fresh row is seen exactly once (no epochs). Memory: the block being filled, plus the blocks handed
/// out and not yet consumed.
/// </para>
/// </summary>
public static class ShuffleBuffer
{
    /// <summary>
    /// The shuffled stream from position <paramref name="startRow"/>: chunks [n, Width] (one per block,
    /// the first cut at <paramref name="startRow"/>), owned by the consumer. Ends when the producer does
    /// (the last block may be short; it is permuted all the same).
    /// </summary>
    public static IEnumerable<Tensor> Read(IRowProducer producer, long bufferRows, ulong seed, long startRow, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferRows, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(startRow);
        var block = startRow / bufferRows;
        var skip = startRow % bufferRows;
        using var rows = producer.Rows(block * bufferRows, cancellationToken).GetEnumerator();
        Tensor? carry = null;   // rows of the last chunk beyond the block they completed
        try
        {
            while (true)
            {
                var (filled, next) = Fill(rows, carry, bufferRows, cancellationToken);
                carry = next;
                if (filled is null) yield break;
                Tensor shuffled;
                using (var scope = TensorScope.Enter())
                {
                    var n = filled.Size(0);
                    var order = Tensors.From(RowPermutation.Create(n, seed, block).Select(i => (long)i).ToArray());
                    var permuted = filled.IndexSelect(0, order);                      // [n, W]
                    filled.Dispose();
                    shuffled = scope.Keep(skip > 0 ? permuted.Narrow(0, skip, n - skip).Contiguous() : permuted).DetachFromScope();
                }
                skip = 0;
                block++;
                yield return shuffled;
            }
        }
        finally
        {
            carry?.Dispose();
        }
    }

    // One block: up to `size` rows (fewer when the producer ends; null when it has ended), and the surplus of the last chunk.
    private static (Tensor? Block, Tensor? Carry) Fill(IEnumerator<Tensor> rows, Tensor? carry, long size, CancellationToken ct)
    {
        var parts = new List<Tensor>();
        long have = 0;
        if (carry is not null) { parts.Add(carry); have = carry.Size(0); }
        while (have < size)
        {
            ct.ThrowIfCancellationRequested();
            if (!rows.MoveNext()) break;
            parts.Add(rows.Current);
            have += rows.Current.Size(0);
        }
        if (have == 0) return (null, null);
        if (parts.Count == 1 && have == size) return (parts[0], null);
        Tensor block;
        Tensor? rest = null;
        using (var scope = TensorScope.Enter())
        {
            var all = parts.Count == 1 ? parts[0] : Tensors.Cat(parts);
            block = scope.Keep(have > size ? all.Narrow(0, 0, size).Contiguous() : parts.Count == 1 ? all.Clone() : all).DetachFromScope();
            if (have > size) rest = scope.Keep(all.Narrow(0, size, have - size).Contiguous()).DetachFromScope();
        }
        foreach (var p in parts) p.Dispose();
        return (block, rest);
    }
}
