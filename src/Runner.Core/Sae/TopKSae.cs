using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>
/// TopK SAE, after Gao et al. 2024, "Scaling and evaluating sparse autoencoders" (arXiv 2406.04093),
/// with the loss in SAELens's convention (summed over dimensions, averaged over rows):
/// <code>
/// z = (x − b_dec) W_encᵀ + b_enc                 x: [B, d_in] -> z: [B, d_sae]
/// f = ReLU(TopK_k(z))                            (all but the k largest of each row set to 0)
/// x̂ = f W_dec + b_dec                            f: [B, d_sae] -> x̂: [B, d_in]
/// L = E_t Σ_d (x̂ − x)² + c_aux · min(n_dead / k_aux, 1) · E_t Σ_d (ê − (x − x̂).detach())²
/// </code>
/// ê = f_aux W_dec decodes (without b_dec, as Gao et al.'s code) the top k_aux = options.AuxK ?? d_in/2
/// pre-activations among the dead latents (<see cref="SaeStepContext.DeadMask"/>); no AuxK term
/// without dead latents. Init: tied (W_enc = W_decᵀ), unit-norm decoder rows, b_enc = 0, and b_dec =
/// the geometric median of a sample (<see cref="InitializeDecoderBias"/>). The decoder rows stay unit
/// norm: the gradient component parallel to each row is removed before the optimizer step and the
/// rows are renormalized after it. Training runs dense (autograd) or sparse (TopKSae.Sparse.cs),
/// chosen by <see cref="SaeOptions.Kernels"/>.
/// </summary>
public partial class TopKSae : SparseAutoencoderBase
{
    internal TopKSae(SaeOptions options, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec)
        : base(options, wEnc, bEnc, wDec, bDec)
    {
        if (options.K < 1 || options.K > options.DSae) throw new ArgumentOutOfRangeException(nameof(options), options.K, $"k must be in [1, d_sae = {options.DSae}]");
        if (options.AuxK is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.AuxK, "AuxK's k_aux must be positive");
    }

    /// <summary>A freshly initialized SAE: unit-norm random decoder rows, tied encoder, zero biases (b_dec: call <see cref="InitializeDecoderBias"/>).</summary>
    public static TopKSae Create(SaeOptions options, Generator generator, Device device, DType dtype = DType.Float32)
    {
        var (wEnc, bEnc, wDec, bDec) = TiedUnitInit(options, generator, device, dtype);
        return new TopKSae(options with { Kind = SaeKind.TopK }, wEnc, bEnc, wDec, bDec);
    }

    /// <summary>Unit-norm random decoder rows, W_enc = W_decᵀ, zero biases.</summary>
    private protected static (Tensor, Tensor, Tensor, Tensor) TiedUnitInit(SaeOptions options, Generator generator, Device device, DType dtype)
    {
        using var scope = TensorScope.Enter();
        var wDec = RandomRows(options.DSae, options.DIn, 1.0, generator, device, dtype);
        return (scope.Keep(wDec.Clone()), scope.Keep(Tensors.Zeros([options.DSae], dtype, device)), scope.Keep(wDec), scope.Keep(Tensors.Zeros([options.DIn], dtype, device)));
    }

    /// <summary>Active latents per row.</summary>
    protected int K => Options.K;

    /// <summary>AuxK's k_aux: dead latents that reconstruct the residual (d_in / 2 unless set).</summary>
    protected int KAux => Options.AuxK ?? Math.Max(1, Options.DIn / 2);

    /// <inheritdoc/>
    public override string SaeLensArchitecture => "topk";

    /// <summary>x [B, d_in] -> f [B, d_sae] with the k largest ReLU'd pre-activations of each row.</summary>
    public override Tensor Encode(Tensor x)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        return scope.Keep(Activate(PreActivations(AsInput(x)), training: false));
    }

    /// <inheritdoc/>
    public override SaeForward TrainingForward(Tensor x, SaeStepContext step) =>
        UsesSparseKernels(TorchRuntime.IsAutocastEnabled(Device)) ? SparseForward(AsInput(x), step) : DenseForward(AsInput(x), step);

    /// <summary>z [B, d_sae] -> f [B, d_sae]: ReLU of the k largest entries of each row, zeros elsewhere.</summary>
    protected virtual Tensor Activate(Tensor z, bool training)
    {
        using var scope = TensorScope.Enter();
        var (values, indices) = z.TopK(K, sorted: false);                         // [B, k]
        return scope.Keep(z.ZerosLike().Scatter(1, indices, values.Relu()));
    }

    // The reference step: dense activations and matrix products, differentiated by autograd.
    private protected SaeForward DenseForward(Tensor x, SaeStepContext step)
    {
        using var scope = TensorScope.Enter();
        var batch = x.Size(0);
        var z = PreActivations(x);                                                // [B, d_sae]
        var f = Activate(z, TorchRuntime.IsGradEnabled);                          // [B, d_sae]
        var xHat = Decode(f);                                                     // [B, d_in]
        var mse = SquaredError(xHat, x);
        var loss = mse;
        var terms = new Dictionary<string, Tensor>();
        if (DeadLatents(step) is { } dead)
        {
            // AuxK: f_aux keeps the top k_aux dead pre-activations of each row (ReLU'd).
            var (kAux, scale) = AuxKSize(dead);
            var (values, columns) = z.IndexSelect(1, dead).TopK(kAux, sorted: false);   // [B, k_aux]
            var fAux = z.ZerosLike().Scatter(1, dead.IndexSelect(0, columns.Flatten()).View(columns.Shape), values.Relu());
            var residual = (x - xHat).Detach();
            var aux = SquaredError(fAux.Mm(WDec), residual) * (Options.AuxKCoefficient * scale);
            loss = loss + aux;
            terms["auxk"] = scope.Keep(aux.Detach());
        }
        using var noGrad = TorchRuntime.NoGrad();
        return new SaeForward
        {
            Loss = scope.Keep(loss),
            Mse = scope.Keep(mse.Detach()),
            L0 = scope.Keep(f.Gt(0).Sum().To(DType.Float32) / batch),
            Fired = scope.Keep(f.Sum(0).Gt(0)),                                    // f ≥ 0
            Terms = terms,
        };
    }

    /// <summary>AuxK's k (at most the number of dead latents) and the loss scale min(n_dead / k_aux, 1).</summary>
    private protected (int K, double Scale) AuxKSize(Tensor dead)
    {
        var nDead = dead.Size(0);
        return ((int)Math.Min(KAux, nDead), Math.Min((double)nDead / KAux, 1.0));
    }

    /// <summary>b_dec ← the geometric median of <paramref name="sample"/> [n, d_in] (Gao et al.'s b_pre init; Weiszfeld iterations).</summary>
    public override void InitializeDecoderBias(Tensor sample)
    {
        if (sample.Dim != 2 || sample.Size(1) != Options.DIn)
            throw new ArgumentException($"expected a sample of shape [n, {Options.DIn}], got [{string.Join(", ", sample.Shape)}]", nameof(sample));
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        BDec.Copy_(GeometricMedian.Of(sample.To(Device, BDec.DType)));
    }

    /// <summary>Removes from W_dec's gradient its component parallel to each row: G_i −= (G_i·W_i) W_i (first-order unit norm).</summary>
    public override void BeforeOptimizerStep()
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        var g = WDec.Grad;
        if (g is null) return;
        var parallel = (g * WDec).Sum([1], keepDim: true);                        // [d_sae, 1]
        g.Sub_(WDec * parallel);
    }

    /// <summary>Renormalizes the decoder rows to unit norm.</summary>
    public override void AfterOptimizerStep()
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        WDec.Div_(WDec.Norm(2, 1, keepDim: true).Clamp_(min: 1e-12));
    }
}
