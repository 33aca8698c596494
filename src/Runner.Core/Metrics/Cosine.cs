using Runner.Torch;

namespace Runner.Core.Metrics;

/// <summary>Cosine similarities between the rows of two matrices, chunked so no n×m matrix is held at once.</summary>
public static class Cosine
{
    /// <summary>Elements of one similarity chunk (rows × columns) computed at a time.</summary>
    public const long ChunkElements = 1 << 24;

    /// <summary>
    /// For each row i of <paramref name="a"/> [n, d]: max_j cos(a_i, b_j) over the rows of
    /// <paramref name="b"/> [m, d] (with <paramref name="excludeSameIndex"/>, j ≠ i: a and b are the same
    /// matrix). Zero rows have cosine 0 with everything. Runs on the tensors' device, in float32,
    /// <paramref name="chunkRows"/> rows of a at a time (default: <see cref="ChunkElements"/> / m).
    /// </summary>
    public static double[] MaxPerRow(Tensor a, Tensor b, bool excludeSameIndex = false, long? chunkRows = null)
    {
        using var scope = TensorScope.Enter();
        var an = NormalizeRows(a);
        var bn = NormalizeRows(b).T;                                     // [d, m]
        long n = an.Size(0), m = bn.Size(1);
        if (excludeSameIndex && m < 2) throw new ArgumentException("need at least two rows to compare each with the others");
        var result = new double[n];
        var chunk = Math.Max(1, Math.Min(n, chunkRows ?? ChunkElements / Math.Max(1, m)));
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = TensorScope.Enter();
            var rows = Math.Min(chunk, n - start);
            var sims = an.Narrow(0, start, rows).Mm(bn);                 // [rows, m]
            if (excludeSameIndex)
            {
                var self = Tensors.Arange(start, start + rows, 1, DType.Int64, sims.Device).Unsqueeze(1);
                sims.Scatter_(1, self, Tensors.Full([rows, 1], double.NegativeInfinity, sims.DType, sims.Device));
            }
            var best = sims.Amax([1]).To(Device.Cpu, DType.Float64).ToArray<double>();
            Array.Copy(best, 0, result, start, rows);
        }
        return result;
    }

    /// <summary>
    /// Unordered pairs i &lt; j of rows of <paramref name="a"/> [n, d] with cos(a_i, a_j) &gt; <paramref name="threshold"/>
    /// (near-duplicate latents when a is a decoder). Zero rows have cosine 0 with everything. Runs on the tensor's
    /// device, in float32, <paramref name="chunkRows"/> rows at a time (default: <see cref="ChunkElements"/> / n).
    /// </summary>
    public static long PairsAbove(Tensor a, double threshold, long? chunkRows = null)
    {
        // Below 0 the zeroed lower triangle would count too.
        if (!(threshold >= 0 && threshold < 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "must be in [0, 1)");
        using var scope = TensorScope.Enter();
        var an = NormalizeRows(a);                                       // [n, d]
        var n = an.Size(0);
        long pairs = 0;
        var chunk = Math.Max(1, Math.Min(n, chunkRows ?? ChunkElements / Math.Max(1, n)));
        for (long start = 0; start < n; start += chunk)
        {
            using var inner = TensorScope.Enter();
            var rows = Math.Min(chunk, n - start);
            var sims = an.Narrow(0, start, rows).Mm(an.T);               // [rows, n]: row r is a_{start + r}
            // Keep j > i only: the strict upper triangle of the full matrix is diagonal start + 1 of this band.
            pairs += sims.Triu(start + 1).Gt(threshold).Sum().ToInt64();
        }
        return pairs;
    }

    /// <summary>The full matrix cos(a_i, b_j) [n, m] on the host (for matching; keep n·m moderate).</summary>
    public static double[,] Matrix(Tensor a, Tensor b)
    {
        using var scope = TensorScope.Enter();
        var sims = NormalizeRows(a).Mm(NormalizeRows(b).T).To(Device.Cpu, DType.Float64);
        long n = sims.Size(0), m = sims.Size(1);
        var flat = sims.ToArray<double>();
        var result = new double[n, m];
        Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
        return result;
    }

    /// <summary>Rows scaled to unit norm (zero rows stay zero), float32.</summary>
    public static Tensor NormalizeRows(Tensor x)
    {
        using var scope = TensorScope.Enter();
        var f = x.Detach().To(DType.Float32);
        return scope.Keep(f / f.Norm(2, 1, keepDim: true).Clamp(min: 1e-12));
    }
}
