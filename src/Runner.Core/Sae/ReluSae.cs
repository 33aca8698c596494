using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>
/// ReLU SAE with the decoder-norm-weighted L1 penalty, as in Anthropic's "Circuits Updates – April
/// 2024" (How we train SAEs) and SAELens's v6 "standard" architecture:
/// <code>
/// f = ReLU((x − b_dec) W_encᵀ + b_enc)          x: [B, d_in] -> f: [B, d_sae]
/// x̂ = f W_dec + b_dec                           f: [B, d_sae] -> x̂: [B, d_in]
/// L = E_t Σ_d (x̂ − x)² + λ·s(t) · E_t Σ_i f_i ‖W_dec,i‖
/// </code>
/// with λ = <see cref="SaeOptions.L1Coefficient"/> and s(t) = <see cref="SaeStepContext.SparsityScale"/>
/// (the trainer's warm-up). Init: W_dec rows random directions of norm <see cref="SaeOptions.DecoderInitNorm"/>
/// (0.1), W_enc = W_decᵀ, biases 0; the decoder norm is not constrained.
/// </summary>
public sealed class ReluSae : SparseAutoencoderBase
{
    internal ReluSae(SaeOptions options, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec)
        : base(options with { Kind = SaeKind.Relu }, wEnc, bEnc, wDec, bDec) { }

    /// <summary>A freshly initialized SAE (Anthropic's April-2024 init).</summary>
    public static ReluSae Create(SaeOptions options, Generator generator, Device device, DType dtype = DType.Float32)
    {
        using var scope = TensorScope.Enter();
        var wDec = RandomRows(options.DSae, options.DIn, options.DecoderInitNorm, generator, device, dtype);
        return new ReluSae(options, wDec.Clone(), Tensors.Zeros([options.DSae], dtype, device), wDec, Tensors.Zeros([options.DIn], dtype, device));
    }

    /// <inheritdoc/>
    public override string SaeLensArchitecture => "standard";

    /// <summary>x [B, d_in] -> f = ReLU(h) [B, d_sae].</summary>
    public override Tensor Encode(Tensor x)
    {
        using var scope = TensorScope.Enter();
        return scope.Keep(PreActivations(AsInput(x)).Relu_());
    }

    /// <inheritdoc/>
    public override SaeForward TrainingForward(Tensor x, SaeStepContext step)
    {
        using var scope = TensorScope.Enter();
        x = AsInput(x);
        var batch = x.Size(0);
        var f = PreActivations(x).Relu_();            // [B, d_sae]; in place: addmm's backward does not need its output
        var xHat = Decode(f);                         // [B, d_in]
        var mse = SquaredError(xHat, x);

        // E_t Σ_i f_i ‖W_dec,i‖ = Σ_i (Σ_t f_ti) ‖W_dec,i‖ / B: summing over rows first spares the
        // [B, d_sae] products f ⊙ ‖W_dec‖ (and their gradients) that the textbook form needs.
        var firedMass = f.Sum(0).To(WDec.DType);      // [d_sae], Σ_t f_ti
        var l1 = (firedMass * WDec.Norm(2, 1)).Sum() / batch;
        var l1Term = l1 * (Options.L1Coefficient * step.SparsityScale);
        var loss = mse + l1Term;

        using var noGrad = TorchRuntime.NoGrad();
        return new SaeForward
        {
            Loss = scope.Keep(loss),
            Mse = scope.Keep(mse.Detach()),
            L0 = scope.Keep(f.Gt(0).Sum().To(DType.Float32) / batch),          // (bool sum: exact, and faster than count_nonzero)
            Fired = scope.Keep(firedMass.Gt(0)),      // f ≥ 0: a latent fired iff its column sum is positive
            Terms = new Dictionary<string, Tensor> { ["l1"] = scope.Keep(l1Term.Detach()) },
        };
    }
}
