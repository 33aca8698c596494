using Runner.Core.Data;
using Runner.Torch;

namespace Runner.Core.Synthetic;

/// <summary>
/// A deterministic stream of synthetic activations with known features (see <see cref="SyntheticOptions"/>).
/// Rows are generated in blocks of <see cref="BlockRows"/>, each from its own generator seeded by
/// (seed, block index), so any row can be produced without the ones before it: opening the stream at
/// any row gives exactly the rows a read from 0 gives there (the <see cref="IActivationSource"/>
/// contract), on any device and thread count. Not thread-safe. Tensors are float32 on the CPU.
/// </summary>
public sealed class SyntheticActivations : IActivationSource, IDisposable
{
    /// <summary>Rows generated together from one seed.</summary>
    public const int BlockRows = 1024;

    private readonly Tensor _features;            // [n, d] unit rows
    private readonly Tensor _thresholds;          // [n] Φ⁻¹(p_i)
    private long _cachedBlock = -1;
    private Tensor? _cachedCoefficients;          // [BlockRows, n]
    private Tensor? _cachedActivations;           // [BlockRows, d]

    /// <summary>Draws the features from <see cref="SyntheticOptions.Seed"/>.</summary>
    public SyntheticActivations(SyntheticOptions options)
    {
        options.Validate();
        Options = options;
        Frequencies = FiringProbabilities(options);
        using var scope = TensorScope.Enter();
        using var generator = new Generator(Mix(options.Seed, 0));
        var g = Tensors.Randn([options.Features, options.DIn], generator);
        _features = scope.Keep(g / g.Norm(2, 1, keepDim: true)).DetachFromScope();
        _thresholds = scope.Keep(Tensors.From(Frequencies.Select(NormalDistribution.Quantile).ToArray()).To(DType.Float32)).DetachFromScope();
    }

    /// <summary>The configuration.</summary>
    public SyntheticOptions Options { get; }

    /// <summary>The true features g_i as unit rows [n, d] (owned by this object: copy to keep).</summary>
    public Tensor Features => _features;

    /// <summary>Firing probability p_i of each feature.</summary>
    public double[] Frequencies { get; }

    /// <summary>Expected active features per row, Σ_i p_i.</summary>
    public double ExpectedL0 => Frequencies.Sum();

    /// <summary>
    /// Rows [start, start + count) of the stream: activations x [count, d] and the true coefficients
    /// c [count, n] with x = c · G (+ noise). New tensors in the caller's scope.
    /// </summary>
    public (Tensor Activations, Tensor Coefficients) Sample(long startRow, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startRow);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        using var scope = TensorScope.Enter();
        var xs = new List<Tensor>();
        var cs = new List<Tensor>();
        for (long row = startRow, end = startRow + count; row < end;)
        {
            var r = Options.Rows is { } cycle ? row % cycle : row;                  // position in the (possibly repeating) set
            var block = r / BlockRows;
            var offset = r % BlockRows;
            var take = Math.Min(end - row, BlockRows - offset);
            if (Options.Rows is { } rows) take = Math.Min(take, rows - r);          // stop at the end of the set
            var (c, x) = Block(block);
            cs.Add(c.Narrow(0, offset, take));
            xs.Add(x.Narrow(0, offset, take));
            row += take;
        }
        var activations = xs.Count == 1 ? xs[0].Clone() : Tensors.Cat(xs);
        var coefficients = cs.Count == 1 ? cs[0].Clone() : Tensors.Cat(cs);
        return (scope.Keep(activations), scope.Keep(coefficients));
    }

    /// <inheritdoc/>
    public IEnumerable<ActivationBatch> Read(long startRow, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startRow);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return Batches(startRow, batchSize);
    }

    private IEnumerable<ActivationBatch> Batches(long startRow, int batchSize)
    {
        for (var row = startRow; ; row += batchSize)
        {
            Tensor x;
            using (var scope = TensorScope.Enter()) x = scope.Keep(Sample(row, batchSize).Activations);
            yield return new ActivationBatch(x);
        }
    }

    // One block's coefficients [BlockRows, n] and activations [BlockRows, d]; the last one is cached.
    private (Tensor Coefficients, Tensor Activations) Block(long block)
    {
        if (block == _cachedBlock) return (_cachedCoefficients!, _cachedActivations!);
        using var scope = TensorScope.Enter();
        using var generator = new Generator(Mix(Options.Seed, block + 1));
        long n = Options.Features, rows = BlockRows;
        var rho = Options.Correlation;
        var shared = Tensors.Randn([rows, 1], generator);
        var own = Tensors.Randn([rows, n], generator);
        var u = Tensors.Rand([rows, n], generator);
        var latent = rho == 0 ? own : shared * Math.Sqrt(rho) + own * Math.Sqrt(1 - rho);   // each column ~ N(0, 1)
        var fires = latent.Lt(_thresholds);                                                  // P = p_i per column
        var magnitude = Options.Magnitude;
        var magnitudes = Options.Magnitudes switch
        {
            MagnitudeDistribution.Constant => u.FullLike(magnitude),
            MagnitudeDistribution.Uniform => (u + 0.5) * magnitude,
            MagnitudeDistribution.Exponential => (1.0 - u).Log() * -magnitude,
            _ => throw new ArgumentOutOfRangeException(nameof(Options), Options.Magnitudes, "unknown magnitude distribution"),
        };
        var coefficients = Tensors.Where(fires, magnitudes, magnitudes.ZerosLike());
        var activations = coefficients.Mm(_features);
        if (Options.Noise > 0) activations = activations + Tensors.Randn([rows, Options.DIn], generator) * Options.Noise;

        _cachedCoefficients?.Dispose();
        _cachedActivations?.Dispose();
        _cachedCoefficients = scope.Keep(coefficients).DetachFromScope();
        _cachedActivations = scope.Keep(activations).DetachFromScope();
        _cachedBlock = block;
        return (_cachedCoefficients, _cachedActivations);
    }

    private static double[] FiringProbabilities(SyntheticOptions o)
    {
        var weights = Enumerable.Range(0, o.Features).Select(i => Math.Pow(i + 1, -o.FrequencyDecay)).ToArray();
        var scale = o.Frequency * o.Features / weights.Sum();
        return weights.Select(w => Math.Min(1, w * scale)).ToArray();
    }

    // SplitMix64 of (seed, stream): independent seeds for the features (stream 0) and each block.
    private static ulong Mix(ulong seed, long stream)
    {
        var z = seed + 0x9E3779B97F4A7C15UL * (ulong)(stream + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _features.Dispose();
        _thresholds.Dispose();
        _cachedCoefficients?.Dispose();
        _cachedActivations?.Dispose();
    }
}
