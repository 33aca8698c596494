using Runner.Core.Metrics;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.Training;

/// <summary>
/// Re-initializes dead and near-duplicate latents during training, after Towards Monosemanticity (Bricken et
/// al. 2023, "Neuron resampling"): each chosen latent gets the direction of an input drawn with probability
/// ∝ its squared reconstruction loss, so it starts where the dictionary reconstructs worst:
/// <code>
/// p_t ∝ ‖x̂_t − x_t‖⁴                      over the batch's rows t (the loss squared)
/// u   = (x_t − b_dec) / ‖x_t − b_dec‖      the drawn row, as the encoder sees it
/// W_dec[i] = u · mean_live ‖W_dec[j]‖      W_enc[i] = u · 0.2 · mean_live ‖W_enc[j]‖      b_enc[i] = 0
/// </code>
/// and Adam's moments of those rows reset to 0. Near-duplicates: of every pair of decoder rows with cosine
/// above the threshold, the latent that contributes less to the batch's reconstruction (Σ_t f_ti ‖W_dec[i]‖)
/// is resampled; the other is kept and takes over the shared direction (with the decoder-norm-weighted L1 a
/// feature split over copies costs as much as one latent, so nothing in the loss merges them).
/// </summary>
public static class LatentResampler
{
    /// <summary>
    /// Resamples the latents of <paramref name="sae"/> that <paramref name="dead"/> [d_sae] bool marks (when
    /// <see cref="ResampleOptions.Dead"/>) and the weaker latent of each near-duplicate pair (when
    /// <see cref="ResampleOptions.DuplicateCosine"/> is set), drawing inputs from <paramref name="x"/> [B, d_in]
    /// (SAE space) with <paramref name="generator"/>, and resets their rows in <paramref name="adam"/>'s moments.
    /// Returns the resampled latents; the caller resets their dead counters.
    /// </summary>
    public static ResampleResult Resample(ISparseAutoencoder sae, Tensor x, Tensor dead, ResampleOptions options, Generator generator, Adam adam)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        var p = sae.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value);
        Tensor wEnc = p["W_enc"], bEnc = p["b_enc"], wDec = p["W_dec"], bDec = p["b_dec"];     // [d_sae, d_in], [d_sae], [d_sae, d_in], [d_in]
        var dSae = sae.Options.DSae;
        var x32 = x.To(wDec.DType);

        var isDead = options.Dead ? dead.To(DType.Int64).Cpu().ToArray<long>().Select(d => d != 0).ToArray() : new bool[dSae];
        var f = sae.Encode(x32);                                                               // [B, d_sae]
        var decNorms = wDec.Norm(2, 1);                                                        // [d_sae]
        var duplicates = options.DuplicateCosine is { } threshold
            ? Duplicates(wDec, (f.Sum(0) * decNorms).To(Device.Cpu, DType.Float64).ToArray<double>(), isDead, threshold)
            : [];
        var deadIndices = Enumerable.Range(0, dSae).Where(i => isDead[i]).ToArray();
        var chosen = deadIndices.Concat(duplicates).Order().ToArray();
        if (chosen.Length == 0) return new ResampleResult { Dead = [], Duplicates = [] };
        if (chosen.Length == dSae) throw new RunnerException("every latent is dead or a duplicate; nothing is left to measure the scale of new latents by");

        // Inputs drawn with probability ∝ loss² (with replacement; inverse CDF on the host).
        var loss = (sae.Decode(f) - x32).Square().Sum(1).To(Device.Cpu, DType.Float64).ToArray<double>();   // [B]
        var cumulative = new double[loss.Length];
        double total = 0;
        for (var t = 0; t < loss.Length; t++) cumulative[t] = total += loss[t] * loss[t];
        var u = Tensors.Rand([chosen.Length], generator, DType.Float64).ToArray<double>();
        var rows = u.Select(v => total > 0 ? (long)Math.Min(LowerBound(cumulative, v * total), loss.Length - 1) : (long)(v * loss.Length)).ToArray();
        var directions = x32.IndexSelect(0, Tensors.From(rows).To(x32.Device)) - bDec;          // [n, d_in]
        directions = directions / directions.Norm(2, 1, keepDim: true).Clamp(min: 1e-12);

        var live = Tensors.From(Enumerable.Range(0, dSae).Where(i => Array.BinarySearch(chosen, i) < 0).Select(i => (long)i).ToArray()).To(wDec.Device);
        var decScale = decNorms.IndexSelect(0, live).Mean().ToDouble();
        var encScale = wEnc.Norm(2, 1).IndexSelect(0, live).Mean().ToDouble() * options.EncoderNormScale;

        var index = Tensors.From(chosen.Select(i => (long)i).ToArray()).To(wDec.Device);      // [n]
        var rowIndex = RowIndex(chosen, sae.Options.DIn).To(wDec.Device);                       // [n, d_in]
        wDec.Scatter_(0, rowIndex, directions * decScale);
        wEnc.Scatter_(0, rowIndex, directions * encScale);
        bEnc.Scatter_(0, index, Tensors.Zeros([chosen.Length], bEnc.DType, bEnc.Device));
        foreach (var (param, idx) in new[] { (wDec, rowIndex), (wEnc, rowIndex), (bEnc, index) })
        {
            var state = adam.StateOf(param);
            foreach (var moment in new[] { state.ExpAvg, state.ExpAvgSq })
                moment?.Scatter_(0, idx, Tensors.Zeros(idx.Shape, moment.DType, moment.Device));
        }
        return new ResampleResult { Dead = deadIndices, Duplicates = duplicates };
    }

    // Greedy over latents by contribution, strongest first: a latent whose decoder row is within the threshold
    // of one already kept is resampled. Dead latents take no part (they are resampled anyway).
    private static int[] Duplicates(Tensor wDec, double[] contribution, bool[] dead, double threshold)
    {
        var d = contribution.Length;
        var neighbours = new List<int>[d];
        var unit = Cosine.NormalizeRows(wDec);                                                   // [d_sae, d_in]
        var chunk = (int)Math.Max(1, Math.Min(d, Cosine.ChunkElements / d));
        for (var start = 0; start < d; start += chunk)
        {
            using var inner = TensorScope.Enter();
            var n = Math.Min(chunk, d - start);
            var above = unit.Narrow(0, start, n).Mm(unit.T).Gt(threshold).To(Device.Cpu, DType.UInt8).ToArray<byte>();  // [n, d_sae]
            for (var r = 0; r < n; r++)
                for (var j = 0; j < d; j++)
                    if (above[(long)r * d + j] != 0 && j != start + r) (neighbours[start + r] ??= []).Add(j);
        }
        var kept = new bool[d];
        var resampled = new List<int>();
        foreach (var i in Enumerable.Range(0, d).Where(i => !dead[i]).OrderByDescending(i => contribution[i]).ThenBy(i => i))
        {
            if (neighbours[i]?.Any(j => kept[j]) == true) resampled.Add(i);
            else kept[i] = true;
        }
        return [.. resampled.Order()];
    }

    private static Tensor RowIndex(int[] rows, int width)
    {
        var index = new long[rows.Length * width];
        for (var r = 0; r < rows.Length; r++) Array.Fill(index, rows[r], r * width, width);
        return Tensors.From(index, rows.Length, width);
    }

    // The first t with cumulative[t] ≥ value.
    private static int LowerBound(double[] cumulative, double value)
    {
        int lo = 0, hi = cumulative.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (cumulative[mid] < value) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
