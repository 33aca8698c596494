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
/// exported as jumprelu with threshold = θ·1 [d_sae]. Training is dense (autograd).
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

    /// <summary>Always dense: the kept entries per row vary, which the sparse TopK kernels do not handle.</summary>
    public override bool UsesSparseKernels(bool autocast) => false;

    /// <summary>x [B, d_in] -> f = z·1[z &gt; θ] [B, d_sae] (the exported JumpReLU; independent of the batch).</summary>
    public override Tensor Encode(Tensor x)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        var z = PreActivations(AsInput(x));
        return scope.Keep(z * z.Gt(_threshold));
    }

    /// <summary>The training activation: the batch's top k·B ReLU'd entries; θ is updated when <paramref name="training"/>.</summary>
    protected override Tensor Activate(Tensor z, bool training)
    {
        using var scope = TensorScope.Enter();
        var flat = z.Relu().Flatten();                                            // [B·d_sae]
        var (values, indices) = flat.TopK(Math.Min(K * z.Size(0), flat.Size(0)), sorted: false);
        if (training) UpdateThreshold(values);
        return scope.Keep(flat.ZerosLike().Scatter(0, indices, values).View(z.Shape));
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
