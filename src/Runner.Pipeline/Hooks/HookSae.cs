using Runner.Core.IO;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Pipeline.Hooks;

/// <summary>
/// The run's trained SAE as a hook sees it (loaded from train's SAELens folder, raw-activation space,
/// on the CPU), with evaluate's per-feature statistics when the run evaluated it.
/// <example><code>
/// let f = ctx.Sae.Encode(rows)              // rows: float32[,] [n, d_in] -> [n, d_sae]
/// let cos = ctx.Sae.DecoderCosine(3)        // cosine of feature 3's decoder row with every row
/// </code></example>
/// </summary>
public sealed class HookSae : IDisposable
{
    private readonly SaeLensSae _saved;
    private readonly ISparseAutoencoder _sae;
    private float[,]? _decoder;

    internal HookSae(string saeFolder, string? featureStatsPath)
    {
        _saved = SaeLensFolder.Load(saeFolder);
        _sae = SaeFactory.FromSaeLens(_saved.Config.Architecture, _saved.Config.K, _saved.Weights, Device.Cpu);
        Architecture = _saved.Config.Architecture;
        DIn = _saved.Config.DIn;
        DSae = _saved.Config.DSae;
        Stats = featureStatsPath is not null && File.Exists(featureStatsPath) ? ReadStats(featureStatsPath) : new Dictionary<string, double[]>();
    }

    /// <summary>SAELens architecture name (<c>standard</c>, <c>topk</c>, <c>jumprelu</c>).</summary>
    public string Architecture { get; }

    /// <summary>Input width.</summary>
    public int DIn { get; }

    /// <summary>Number of features.</summary>
    public int DSae { get; }

    /// <summary>The SAE itself (tensors; for what the array helpers do not cover).</summary>
    public ISparseAutoencoder Model => _sae;

    /// <summary>
    /// Per-feature statistics of the evaluate stage by name (<c>density</c>, <c>max_activation</c>,
    /// <c>mean_activation</c>, <c>mean_activation_when_active</c>, <c>max_decoder_cosine</c>), each
    /// [d_sae]; empty when the run has no evaluate stage.
    /// </summary>
    public IReadOnlyDictionary<string, double[]> Stats { get; }

    /// <summary>One statistic (see <see cref="Stats"/>); a RunnerException naming the available ones when absent.</summary>
    public double[] Stat(string name) =>
        Stats.TryGetValue(name, out var v) ? v
            : throw new Core.RunnerException($"no per-feature statistic '{name}' (available: {(Stats.Count == 0 ? "none: the run has no evaluate stage" : string.Join(", ", Stats.Keys))})");

    /// <summary>Decoder weights W_dec [d_sae, d_in] (row i is feature i's direction).</summary>
    public float[,] Decoder => _decoder ??= ToMatrix(_saved.Weights["W_dec"]);

    /// <summary>Encodes a batch of raw activations: x [n, d_in] -> f [n, d_sae].</summary>
    public float[,] Encode(float[,] x)
    {
        using var scope = TensorScope.Enter();
        return ToMatrix(_sae.Encode(Tensors.From(x)));
    }

    /// <summary>Decodes feature activations: f [n, d_sae] -> x̂ [n, d_in].</summary>
    public float[,] Decode(float[,] f)
    {
        using var scope = TensorScope.Enter();
        return ToMatrix(_sae.Decode(Tensors.From(f)));
    }

    /// <summary>Cosine similarity of feature <paramref name="feature"/>'s decoder row with every decoder row: [d_sae].</summary>
    public double[] DecoderCosine(int feature)
    {
        if (feature < 0 || feature >= DSae) throw new Core.RunnerException($"feature {feature} is out of range (the SAE has {DSae} features)");
        var w = Decoder;
        var norms = new double[DSae];
        for (var i = 0; i < DSae; i++)
        {
            double s = 0;
            for (var j = 0; j < DIn; j++) s += (double)w[i, j] * w[i, j];
            norms[i] = Math.Sqrt(s);
        }
        var result = new double[DSae];
        for (var i = 0; i < DSae; i++)
        {
            double dot = 0;
            for (var j = 0; j < DIn; j++) dot += (double)w[i, j] * w[feature, j];
            result[i] = norms[i] * norms[feature] > 0 ? dot / (norms[i] * norms[feature]) : 0;
        }
        return result;
    }

    /// <summary>
    /// Encodes every row of <paramref name="reader"/> (batches of 4096) and keeps, for each of
    /// <paramref name="features"/> (null: all), its <paramref name="perFeature"/> strongest activations,
    /// strongest first, with the row and its token id (-1 when the capture has no token ids).
    /// <example><code>
    /// use reader = ctx.Activations()
    /// let top = ctx.Sae.TopActivations(reader, 10, [| 3; 7 |])
    /// for a in top.[3] do printfn "%s %.2f" (ctx.Token a.TokenId) a.Activation
    /// </code></example>
    /// </summary>
    public IReadOnlyDictionary<int, IReadOnlyList<FeatureActivation>> TopActivations(ActivationShardReader reader, int perFeature, int[]? features = null,
        CancellationToken cancellationToken = default)
    {
        var wanted = features ?? Enumerable.Range(0, DSae).ToArray();
        foreach (var f in wanted)
            if (f < 0 || f >= DSae) throw new Core.RunnerException($"feature {f} is out of range (the SAE has {DSae} features)");
        var heaps = wanted.Distinct().ToDictionary(f => f, _ => new PriorityQueue<FeatureActivation, double>());
        using var index = Tensors.From(wanted.Distinct().Select(f => (long)f).ToArray());
        long row = 0;
        foreach (var batch in reader.ReadSequential(4096, 0, reader.Rows))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (batch)
            using (var scope = TensorScope.Enter())
            {
                // f: [n, d_sae] -> [n, |features|], row-major.
                var acts = _sae.Encode(batch.Activations.To(Device.Cpu, DType.Float32)).IndexSelect(1, index).Contiguous().ToArray<float>();
                var tokens = batch.TokenIds?.To(DType.Int64).ToArray<long>();
                var n = (int)batch.Count;
                var keys = heaps.Keys.ToArray();
                for (var r = 0; r < n; r++)
                    for (var j = 0; j < keys.Length; j++)
                    {
                        var a = acts[r * keys.Length + j];
                        if (a <= 0) continue;
                        var heap = heaps[keys[j]];
                        if (heap.Count < perFeature) heap.Enqueue(new FeatureActivation(a, row + r, tokens is null ? -1 : (int)tokens[r]), a);
                        else if (heap.TryPeek(out _, out var least) && a > least)
                            heap.EnqueueDequeue(new FeatureActivation(a, row + r, tokens is null ? -1 : (int)tokens[r]), a);
                    }
                row += n;
            }
        }
        return heaps.ToDictionary(p => p.Key, p => (IReadOnlyList<FeatureActivation>)p.Value.UnorderedItems.Select(i => i.Element).OrderByDescending(e => e.Activation).ToList());
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _sae.Dispose();
        _saved.Dispose();
    }

    private static float[,] ToMatrix(Tensor t)
    {
        using var scope = TensorScope.Enter();
        var cpu = t.To(Device.Cpu, DType.Float32).Contiguous();
        var shape = cpu.Shape;
        var flat = cpu.ToArray<float>();
        var rows = (int)shape[0];
        var cols = shape.Length > 1 ? (int)shape[1] : 1;
        var m = new float[rows, cols];
        Buffer.BlockCopy(flat, 0, m, 0, flat.Length * sizeof(float));
        return m;
    }

    private static Dictionary<string, double[]> ReadStats(string path)
    {
        using var scope = TensorScope.Enter();
        using var file = SafetensorsFile.Open(path);
        var stats = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var name in file.Names) stats[name] = file.Read(name, DType.Float64).ToArray<double>();
        return stats;
    }
}
