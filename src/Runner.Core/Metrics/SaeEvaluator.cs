using Runner.Core.Data;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.Metrics;

/// <summary>
/// Accumulates an SAE's metrics over evaluation batches of raw activations, then computes
/// <see cref="SaeMetrics"/> (see there for the definitions and the space each lives in). Sums stay
/// on the SAE's device in float64; nothing is copied to the host before <see cref="Compute"/>.
/// </summary>
public sealed class SaeEvaluator : IDisposable
{
    // Per-token quantities summed over tokens, in this order.
    private enum Sum { SquaredError, SquaredNorm, L2Ratio, ReconstructionSquaredNorm, Dot, Cosine, LegacyEv, L0, L1, Count }

    private readonly ISparseAutoencoder _sae;
    private readonly Device _device;
    private readonly Tensor _sums;        // [Sum.Count] float64
    private readonly Tensor _sumX;        // [d_in] float64
    private readonly Tensor _fires;       // [d_sae] int64
    private readonly Tensor _sumActs;     // [d_sae] float64
    private readonly Tensor _maxActs;     // [d_sae] float32
    private long _tokens;

    /// <summary>An evaluator of <paramref name="sae"/>, whose parameters live on <paramref name="device"/>.</summary>
    public SaeEvaluator(ISparseAutoencoder sae, Device device)
    {
        _sae = sae;
        _device = device;
        int dIn = sae.Options.DIn, dSae = sae.Options.DSae;
        _sums = Tensors.Zeros([(long)Sum.Count], DType.Float64, device).DetachFromScope();
        _sumX = Tensors.Zeros([dIn], DType.Float64, device).DetachFromScope();
        _fires = Tensors.Zeros([dSae], DType.Int64, device).DetachFromScope();
        _sumActs = Tensors.Zeros([dSae], DType.Float64, device).DetachFromScope();
        _maxActs = Tensors.Zeros([dSae], DType.Float32, device).DetachFromScope();
    }

    /// <summary>Tokens accumulated so far.</summary>
    public long Tokens => _tokens;

    /// <summary>Adds every batch (disposing each), up to <paramref name="maxTokens"/> rows when given.</summary>
    public void AddAll(IEnumerable<ActivationBatch> batches, long? maxTokens = null, CancellationToken cancellationToken = default)
    {
        foreach (var batch in batches)
        {
            using (batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var take = maxTokens is { } max ? Math.Min(batch.Count, max - _tokens) : batch.Count;
                if (take > 0)
                {
                    using var scope = TensorScope.Enter();
                    Add(take == batch.Count ? batch.Activations : batch.Activations.Narrow(0, 0, take));
                }
            }
            if (maxTokens is { } m && _tokens >= m) break;
        }
    }

    /// <summary>Adds a batch of raw activations x [B, d_in] (any float dtype, any device).</summary>
    public void Add(Tensor activations)
    {
        if (activations.Dim != 2 || activations.Size(1) != _sae.Options.DIn)
            throw new RunnerException($"evaluation batch has shape [{string.Join(", ", activations.Shape)}], but the SAE expects [B, {_sae.Options.DIn}]");
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        var s = _sae.InputScale;
        var x = activations.To(_device, DType.Float32);                               // raw space
        var f = _sae.Encode(s == 1 ? x : x * s);                                       // [B, d_sae]
        var xHat = _sae.Decode(f).To(DType.Float32);
        if (s != 1) xHat = xHat / s;                                                   // back to raw space

        var squaredError = (x - xHat).Square().Sum(1);                                 // [B]
        var squaredNorm = x.Square().Sum(1);
        var reconSquaredNorm = xHat.Square().Sum(1);
        var dot = (x * xHat).Sum(1);
        var norm = squaredNorm.Sqrt();
        var reconNorm = reconSquaredNorm.Sqrt();
        var l2Ratio = reconNorm / Tensors.Where(norm.Lt(1e-4), norm.OnesLike(), norm);  // SAELens' guard
        var cosine = dot / (norm * reconNorm).Clamp(min: 1e-8);
        var centered = (x - x.Mean(0, keepDim: true)).Square().Sum(1);
        var legacyEv = 1.0 - squaredError / centered;
        var active = f.Gt(0);
        var l0 = active.Sum(1).To(DType.Float32);
        var l1 = f.Abs().Sum(1).To(DType.Float32);
        var perToken = Tensors.Stack([squaredError, squaredNorm, l2Ratio, reconSquaredNorm, dot, cosine, legacyEv, l0, l1], 1);
        _sums.Add_(perToken.To(DType.Float64).Sum(0));
        _sumX.Add_(x.To(DType.Float64).Sum(0));
        _fires.Add_(active.Sum(0));
        _sumActs.Add_(f.To(DType.Float64).Sum(0));
        _maxActs.Copy_(_maxActs.Maximum(f.To(DType.Float32).Amax([0])));
        _tokens += x.Size(0);
    }

    /// <summary>
    /// The metrics over everything added. With <paramref name="decoderCosine"/>, also the max decoder
    /// cosine per feature and the near-duplicate pairs among live features (chunked; O(d_sae² · d_in) work on the device).
    /// </summary>
    public SaeMetrics Compute(bool decoderCosine = true)
    {
        if (_tokens == 0) throw new InvalidOperationException("no evaluation tokens were added");
        using var scope = TensorScope.Enter();
        double n = _tokens;
        var sums = _sums.Cpu().ToArray<double>();
        double S(Sum which) => sums[(int)which];
        double meanXSquaredNorm = 0;                                                 // ‖E_t x‖²
        foreach (var sum in _sumX.Cpu().ToArray<double>()) meanXSquaredNorm += sum / n * (sum / n);

        var mse = S(Sum.SquaredError) / n;
        var meanSquaredNorm = S(Sum.SquaredNorm) / n;
        var totalVariance = meanSquaredNorm - meanXSquaredNorm;                      // E‖x‖² − ‖E x‖²
        var fires = _fires.Cpu().ToArray<long>();
        var sumActs = _sumActs.Cpu().ToArray<double>();
        var maxActs = _maxActs.Cpu().To(DType.Float64).ToArray<double>();
        var density = fires.Select(c => c / n).ToArray();
        var log10Density = DensityHistogram.Log10Density(density);
        var (maxCos, duplicatePairs) = decoderCosine ? DecoderGeometry(fires) : ([], -1);

        return new SaeMetrics
        {
            Tokens = _tokens,
            Mse = mse,
            NormalizedMse = mse / meanSquaredNorm,
            ExplainedVariance = 1 - mse / totalVariance,
            ExplainedVarianceLegacy = S(Sum.LegacyEv) / n,
            Fvu = mse / totalVariance,
            CosineSimilarity = S(Sum.Cosine) / n,
            L0 = S(Sum.L0) / n,
            L1 = S(Sum.L1) / n,
            L2Ratio = S(Sum.L2Ratio) / n,
            RelativeReconstructionBias = S(Sum.ReconstructionSquaredNorm) / S(Sum.Dot),
            DeadFraction = Fraction(density, p => p == 0),
            DenseFraction = Fraction(density, p => p > SaeMetrics.DenseThreshold),
            FreqOver1Percent = Fraction(density, p => p > SaeMetrics.OnePercent),
            MeanLog10Density = log10Density.Average(),
            MeanMaxDecoderCosine = maxCos.Length > 0 ? maxCos.Average() : double.NaN,
            Density = density,
            MaxActivation = maxActs,
            MeanActivationWhenActive = sumActs.Select((s, i) => fires[i] == 0 ? 0 : s / fires[i]).ToArray(),
            MeanActivation = sumActs.Select(s => s / n).ToArray(),
            MaxDecoderCosine = maxCos,
            DecoderPairsAboveThreshold = duplicatePairs,
            DensityHistogram = DensityHistogram.Of(density),
        };
    }

    // Per feature the max cosine to any other decoder row (SAEBench), and the near-duplicate pairs among the
    // live features (fired at least once here: a dead row is noise, not a duplicate).
    private (double[] MaxCosine, long Pairs) DecoderGeometry(long[] fires)
    {
        if (_sae.Options.DSae < 2) return ([], 0);
        using var scope = TensorScope.Enter();
        var weights = _sae.ExportSaeLens();                                           // cosines ignore the folded row scales
        var decoder = weights["W_dec"].To(_device);                                   // [d_sae, d_in]
        var maxCos = Cosine.MaxPerRow(decoder, decoder, excludeSameIndex: true);
        var live = Enumerable.Range(0, fires.Length).Where(i => fires[i] > 0).Select(i => (long)i).ToArray();
        if (live.Length < 2) return (maxCos, 0);
        var liveRows = decoder.IndexSelect(0, Tensors.From(live).To(_device));       // [live, d_in]
        return (maxCos, Cosine.PairsAbove(liveRows, SaeMetrics.DuplicateCosine));
    }

    private static double Fraction(double[] values, Func<double, bool> predicate) => (double)values.Count(predicate) / values.Length;

    /// <inheritdoc/>
    public void Dispose()
    {
        _sums.Dispose();
        _sumX.Dispose();
        _fires.Dispose();
        _sumActs.Dispose();
        _maxActs.Dispose();
    }
}
