using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>
/// BatchTopK SAE (Bussmann, Leask &amp; Nanda 2024, "BatchTopK Sparse Autoencoders", arXiv 2412.06410),
/// as SAELens trains it: the TopK SAE (<see cref="TopKSae"/>: loss, AuxK, unit-norm decoder, init)
/// with the k·B largest ReLU'd pre-activations kept across the whole batch instead of k per row:
/// <code>
/// z = (x − b_dec) W_encᵀ + b_enc                 x: [B, d_in] -> z: [B, d_sae]
/// f = TopK_{k·B}(ReLU(z)) over all B·d_sae entries, zeros elsewhere
/// θ ← 0.99·θ + 0.01·min(f_kept > 0)              each training step (SAELens's topk_threshold, from 0)
/// </code>
/// Inference, and the SAELens export, use the threshold instead of the batch: f = z·1[z &gt; θ],
/// exported as jumprelu with threshold = θ·1 [d_sae]. Training runs dense or sparse like TopK's; the
/// batch's top k·B is found from each row's top 4k candidates (widened for rows that need more), which
/// is exact and avoids ranking all B·d_sae entries.
/// </summary>
public sealed class BatchTopKSae : TopKSae
{
    private const double ThresholdRate = 0.01;
    private readonly Tensor _threshold;   // θ, a float32 scalar, updated in place (checkpoints copy into it)

    internal BatchTopKSae(SaeOptions options, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec, Tensor? threshold = null)
        : base(options with { Kind = SaeKind.BatchTopK }, wEnc, bEnc, wDec, bDec)
    {
        using var scope = TensorScope.Enter();
        _threshold = scope.Keep(threshold?.To(Device, DType.Float32, copy: true) ?? Tensors.Zeros([], DType.Float32, Device)).DetachFromScope();
    }

    /// <summary>A freshly initialized SAE (as <see cref="TopKSae.Create"/>), θ = 0.</summary>
    public static new BatchTopKSae Create(SaeOptions options, Generator generator, Device device, DType dtype = DType.Float32)
    {
        var (wEnc, bEnc, wDec, bDec) = TiedUnitInit(options, generator, device, dtype);
        return new BatchTopKSae(options, wEnc, bEnc, wDec, bDec);
    }

    /// <summary>The tracked activation threshold θ (a float32 scalar).</summary>
    public double Threshold => _threshold.ToDouble();

    /// <inheritdoc/>
    public override IReadOnlyList<KeyValuePair<string, Tensor>> Buffers => [new("threshold", _threshold)];

    /// <inheritdoc/>
    public override string SaeLensArchitecture => "jumprelu";

    /// <summary>x [B, d_in] -> f = z·1[z &gt; θ] [B, d_sae] (the exported JumpReLU; independent of the batch).</summary>
    public override Tensor Encode(Tensor x) => ThresholdEncode(x, _threshold);

    /// <summary>The training activation (dense step): the batch's top k·B ReLU'd entries; θ is updated when <paramref name="training"/>.</summary>
    protected override Tensor Activate(Tensor z, bool training)
    {
        using var scope = TensorScope.Enter();
        var (rows, latents, _) = Select(z.Detach(), training);
        var positions = rows * DSae + latents;                                    // into z.flatten()
        var values = z.Flatten().Gather(0, positions);                            // differentiable
        return scope.Keep(z.Flatten().ZerosLike().Scatter(0, positions, values.Relu()).View(z.Shape));
    }

    /// <summary>The sparse step's entries: the batch's top k·B, grouped by row; θ is updated when <paramref name="training"/>.</summary>
    private protected override ActiveSet SelectActive(Tensor z, bool training)
    {
        using var scope = TensorScope.Enter();
        var (rows, latents, values) = Select(z, training);
        var counts = Tensors.Zeros([z.Size(0)], DType.Int64, z.Device).ScatterAdd_(0, rows, rows.OnesLike());
        return new ActiveSet(scope.Keep(latents), scope.Keep(rows), scope.Keep(counts.Cumsum(0) - counts), scope.Keep(values));
    }

    // The k·B largest entries of z [B, d_sae] as rows, latents and values [k·B], grouped by row, without
    // ranking all B·d_sae entries: each row's top m = 4k are candidates, and the k·B largest candidates
    // are the answer unless a row's smallest candidate is above the cut (and positive: ReLU zeroes the
    // rest); such a row may hold more, so it alone gets 4× the candidates, until none overflows.
    private (Tensor Rows, Tensor Latents, Tensor Values) Select(Tensor z, bool training)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        var batch = z.Size(0);
        var first = Math.Min(DSae, 4 * K);
        var (v0, l0) = z.TopK(first, sorted: false);
        var groups = new List<(Tensor Rows, Tensor Values, Tensor Latents)> { (Tensors.Arange(batch, z.Device), v0, l0) };
        while (true)
        {
            var (kept, at) = Tensors.Cat([.. groups.Select(g => g.Values.Flatten())]).TopK(K * batch, sorted: false);
            var cut = Math.Max(kept.Min().ToDouble(), 0);
            var grew = false;
            for (var i = groups.Count - 1; i >= 0; i--)
            {
                var (rows, values, latents) = groups[i];
                var m = values.Size(1);
                if (m == DSae) continue;
                var over = values.Amin([1]).Gt(cut);                              // [R]: may hold more than m
                if (!over.Any().ToBoolean()) continue;
                var stay = Tensors.Arange(rows.Size(0), z.Device).MaskedSelect(over.LogicalNot());
                var moved = rows.MaskedSelect(over);
                groups[i] = (rows.IndexSelect(0, stay), values.IndexSelect(0, stay), latents.IndexSelect(0, stay));
                var (v, l) = z.IndexSelect(0, moved).TopK(Math.Min(DSae, 4 * m), sorted: false);
                groups.Add((moved, v, l));
                grew = true;
            }
            if (grew) continue;
            var candidateRows = Tensors.Cat([.. groups.Select(g => g.Rows.Unsqueeze(1).Expand(-1, g.Values.Size(1)).Flatten())]);
            var candidateLatents = Tensors.Cat([.. groups.Select(g => g.Latents.Flatten())]);
            var (rowsOut, latentsOut) = (candidateRows.IndexSelect(0, at), candidateLatents.IndexSelect(0, at));
            var (_, order) = (rowsOut * DSae + latentsOut).Sort();                // group by row
            var selected = kept.IndexSelect(0, order);
            if (training) UpdateThreshold(selected);
            return (scope.Keep(rowsOut.IndexSelect(0, order)), scope.Keep(latentsOut.IndexSelect(0, order)), scope.Keep(selected));
        }
    }

    // θ ← (1 − r)θ + r·min(kept > 0), r = 0.01; unchanged when nothing positive was kept. No host sync.
    private void UpdateThreshold(Tensor kept)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        var v = kept.Detach().To(DType.Float32);
        var smallest = v.MaskedFill(v.Le(0), double.PositiveInfinity).Min();
        var next = _threshold * (1 - ThresholdRate) + smallest * ThresholdRate;
        _threshold.Copy_(Tensors.Where(smallest.IsFinite(), next, _threshold));
    }

    /// <summary>threshold = θ·1 [d_sae], unchanged by the input scale (it lives in the pre-activation space).</summary>
    protected override void AddExportTensors(IDictionary<string, Tensor> tensors) =>
        tensors["threshold"] = Tensors.Ones([DSae], DType.Float32, Device) * _threshold;
}
