using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>
/// What every architecture shares: the four tensors of an SAE, the encoder pre-activation with the
/// decoder bias folded in, the affine decoder, input scaling and the SAELens export.
/// Internally W_enc is [d_sae, d_in], one row per latent (a TopK step gathers the k active rows
/// contiguously); SAELens's W_enc [d_in, d_sae] is its transpose. Parameters are float32 master
/// weights (float64 only for gradient checks); under autocast the matrix products run in bf16.
/// </summary>
public abstract class SparseAutoencoderBase : ISparseAutoencoder
{
    private double _inputScale = 1;

    /// <summary>Takes ownership of the tensors (internal layout, one device and dtype) and makes them trainable leaves.</summary>
    protected SparseAutoencoderBase(SaeOptions options, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec)
    {
        Check(wEnc, "W_enc", options.DSae, options.DIn);
        Check(bEnc, "b_enc", options.DSae);
        Check(wDec, "W_dec", options.DSae, options.DIn);
        Check(bDec, "b_dec", options.DIn);
        Options = options;
        WEnc = wEnc.DetachFromScope().RequiresGrad_();
        BEnc = bEnc.DetachFromScope().RequiresGrad_();
        WDec = wDec.DetachFromScope().RequiresGrad_();
        BDec = bDec.DetachFromScope().RequiresGrad_();
    }

    /// <summary>W_enc [d_sae, d_in] (row i encodes latent i).</summary>
    protected Tensor WEnc { get; }
    /// <summary>b_enc [d_sae].</summary>
    protected Tensor BEnc { get; }
    /// <summary>W_dec [d_sae, d_in] (row i is latent i's dictionary direction).</summary>
    protected Tensor WDec { get; }
    /// <summary>b_dec [d_in] (Gao et al.'s b_pre: subtracted before encoding, added after decoding).</summary>
    protected Tensor BDec { get; }

    /// <inheritdoc/>
    public SaeOptions Options { get; }

    /// <summary>d_sae.</summary>
    protected int DSae => Options.DSae;

    /// <summary>Where the parameters live.</summary>
    public Device Device => WDec.Device;

    /// <inheritdoc/>
    public double InputScale
    {
        get => _inputScale;
        set => _inputScale = value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the input scale must be positive and finite");
    }

    /// <inheritdoc/>
    public virtual IReadOnlyList<KeyValuePair<string, Tensor>> Parameters =>
        [new("W_enc", WEnc), new("b_enc", BEnc), new("W_dec", WDec), new("b_dec", BDec)];

    /// <inheritdoc/>
    public virtual IReadOnlyList<KeyValuePair<string, Tensor>> Buffers => [];

    /// <inheritdoc/>
    public abstract string SaeLensArchitecture { get; }

    /// <inheritdoc/>
    public abstract Tensor Encode(Tensor x);

    /// <inheritdoc/>
    public abstract SaeForward TrainingForward(Tensor x, SaeStepContext step);

    /// <summary>f [B, d_sae] -> x̂ = f W_dec + b_dec [B, d_in] (one addmm).</summary>
    public virtual Tensor Decode(Tensor f) => BDec.Addmm(f.DType == WDec.DType || TorchRuntime.IsAutocastEnabled(Device) ? f : f.To(WDec.DType), WDec);

    /// <inheritdoc/>
    public virtual void InitializeDecoderBias(Tensor sample) { }

    /// <inheritdoc/>
    public virtual void BeforeOptimizerStep() { }

    /// <inheritdoc/>
    public virtual void AfterOptimizerStep() { }

    /// <summary>
    /// h = (x − b_dec) W_encᵀ + b_enc [B, d_sae], computed as x W_encᵀ + (b_enc − W_enc b_dec): one
    /// addmm, and autograd's b_dec gradient is a vector-matrix product instead of a third
    /// [B, d_sae] × [d_sae, d_in] matrix product.
    /// </summary>
    protected Tensor PreActivations(Tensor x)
    {
        using var scope = TensorScope.Enter();
        return scope.Keep(Functional.Linear(x, WEnc, BEnc - Functional.Linear(BDec, WEnc)));
    }

    /// <summary>
    /// The JumpReLU inference encoding, f = h·1[h &gt; θ] with h the pre-activations of x: JumpReLU's own,
    /// and BatchTopK's (which exports as jumprelu with its tracked θ).
    /// </summary>
    protected Tensor ThresholdEncode(Tensor x, Tensor threshold)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        var h = PreActivations(AsInput(x));
        return scope.Keep(h * h.Gt(threshold));
    }

    /// <summary>x in the parameters' dtype (float32 inputs pass through; autocast handles bf16 itself).</summary>
    protected Tensor AsInput(Tensor x)
    {
        if (x.Dim != 2 || x.Size(1) != Options.DIn)
            throw new ArgumentException($"expected inputs of shape [batch, {Options.DIn}], got [{string.Join(", ", x.Shape)}]", nameof(x));
        return x.DType == WDec.DType ? x : x.To(WDec.DType);
    }

    /// <summary>E_t Σ_d (x̂ − x)² (SAELens's training MSE: summed over dimensions, averaged over rows), as a float scalar.</summary>
    protected static Tensor SquaredError(Tensor xHat, Tensor x)
    {
        using var scope = TensorScope.Enter();
        return scope.Keep((xHat - x).Square().Sum() / x.Size(0));
    }

    /// <summary>The indices of the dead latents [n_dead] (int64), or null when none are dead or none are tracked.</summary>
    protected Tensor? DeadLatents(SaeStepContext step)
    {
        if (step.DeadMask is null) return null;
        if (step.DeadMask.Dim != 1 || step.DeadMask.Size(0) != DSae)
            throw new ArgumentException($"the dead mask must have shape [{DSae}], got [{string.Join(", ", step.DeadMask.Shape)}]", nameof(step));
        using var scope = TensorScope.Enter();
        var dead = Tensors.Arange(DSae, Device).MaskedSelect(step.DeadMask.To(Device, DType.Bool));
        return dead.Size(0) == 0 ? null : scope.Keep(dead);
    }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, Tensor> ExportSaeLens()
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        // x_sae = s·x_raw: h = (s·x − b_dec) W_encᵀ + b_enc = (x − b_dec/s)(s·W_enc)ᵀ + b_enc, and x̂_raw = x̂_sae / s.
        var s = InputScale;
        var tensors = new Dictionary<string, Tensor>
        {
            ["W_enc"] = (WEnc * s).T.Contiguous(),   // [d_in, d_sae]
            ["b_enc"] = BEnc.Clone(),                // [d_sae]
            ["W_dec"] = WDec / s,                    // [d_sae, d_in]
            ["b_dec"] = BDec / s,                    // [d_in]
        };
        AddExportTensors(tensors);
        return tensors.ToDictionary(t => t.Key, t => scope.Keep(t.Value.To(Torch.Device.Cpu, DType.Float32)));
    }

    /// <summary>Adds architecture-specific SAELens tensors (e.g. threshold [d_sae]); called inside a no-grad scope.</summary>
    protected virtual void AddExportTensors(IDictionary<string, Tensor> tensors) { }

    /// <summary>Random directions [rows, cols] with rows of norm <paramref name="norm"/>, drawn from <paramref name="generator"/>.</summary>
    protected static Tensor RandomRows(int rows, int cols, double norm, Generator generator, Device device, DType dtype)
    {
        using var scope = TensorScope.Enter();
        var w = Tensors.Randn([rows, cols], generator, DType.Float64).To(device, dtype);
        return scope.Keep(w / w.Norm(2, 1, keepDim: true) * norm);
    }

    private static void Check(Tensor t, string name, params long[] shape)
    {
        if (!t.Shape.SequenceEqual(shape))
            throw new ArgumentException($"{name} must have shape [{string.Join(", ", shape)}], got [{string.Join(", ", t.Shape)}]");
        if (!t.DType.IsFloatingPoint()) throw new ArgumentException($"{name} must be floating point, got {t.DType.Name()}");
    }

    /// <summary>Frees the parameters and buffers.</summary>
    public void Dispose()
    {
        foreach (var (_, t) in Parameters) t.Dispose();
        foreach (var (_, t) in Buffers) t.Dispose();
        DisposeState();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees architecture-specific state other than parameters and buffers.</summary>
    protected virtual void DisposeState() { }
}
