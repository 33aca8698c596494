using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>
/// JumpReLU SAE (Rajamanoharan et al. 2024, "Jumping Ahead", arXiv 2407.14435; Anthropic's
/// "Circuits Updates – January 2025" tanh penalty), as SAELens trains it:
/// <code>
/// h = (x − b_dec) W_encᵀ + b_enc                 x: [B, d_in] -> h: [B, d_sae]
/// f = h · H(h − θ)                               θ: [d_sae], a linear float32 parameter
/// x̂ = f W_dec + b_dec                            f: [B, d_sae] -> x̂: [B, d_in]
/// L = E_t Σ_d (x̂ − x)² + λ·s(t)·S + λ_P · E_t Σ_{i dead} ReLU(θ_i − h_i) ‖W_dec,i‖
/// S = E_t Σ_i tanh(c · f_i ‖W_dec,i‖)   (tanh)   or   E_t Σ_i H(h_i − θ_i)   (step)
/// </code>
/// Straight-through gradients with the rectangle kernel K(u) = 1[|u| &lt; ½] and bandwidth ε:
/// ∂f/∂h = H(h − θ), ∂f/∂θ = −(θ/ε) K((h − θ)/ε); the step's ∂H/∂θ = −(1/ε) K((h − θ)/ε) and ∂H/∂h = 0.
/// θ is neither log-parameterized nor cast down (with log θ, Adam barely moves it: SAELens #494, PR
/// #718; a bf16 θ stalls: PR #728); it is clamped at 0 after each step so that f ≥ 0. The binding
/// has no custom autograd functions, so each pseudo-derivative is injected by a term
/// (θ − θ.detach()) · c with a detached coefficient c: zero in value, gradient c.
/// Init (SAELens): W_dec rows random directions of norm <see cref="SaeOptions.DecoderInitNorm"/>, W_enc = W_decᵀ,
/// biases 0, θ = <see cref="SaeOptions.InitThreshold"/>.
/// </summary>
public sealed class JumpReluSae : SparseAutoencoderBase
{
    private readonly Tensor _threshold;   // θ [d_sae], float32 leaf

    internal JumpReluSae(SaeOptions options, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec, Tensor threshold)
        : base(options with { Kind = SaeKind.JumpRelu }, wEnc, bEnc, wDec, bDec)
    {
        if (!threshold.Shape.SequenceEqual([(long)options.DSae]))
            throw new ArgumentException($"threshold must have shape [{options.DSae}], got [{string.Join(", ", threshold.Shape)}]", nameof(threshold));
        if (options.Bandwidth <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.Bandwidth, "the JumpReLU bandwidth must be positive");
        _threshold = threshold.DetachFromScope().RequiresGrad_();
    }

    /// <summary>A freshly initialized SAE (SAELens's JumpReLU init).</summary>
    public static JumpReluSae Create(SaeOptions options, Generator generator, Device device, DType dtype = DType.Float32)
    {
        using var scope = TensorScope.Enter();
        var wDec = RandomRows(options.DSae, options.DIn, options.DecoderInitNorm, generator, device, dtype);
        // θ stays float32 even when the weights are float64 (gradient checks use float64 throughout).
        var threshold = Tensors.Full([options.DSae], options.InitThreshold, dtype == DType.Float64 ? dtype : DType.Float32, device);
        return new JumpReluSae(options, wDec.Clone(), Tensors.Zeros([options.DSae], dtype, device), wDec, Tensors.Zeros([options.DIn], dtype, device), threshold);
    }

    /// <inheritdoc/>
    public override IReadOnlyList<KeyValuePair<string, Tensor>> Parameters => [.. base.Parameters, new("threshold", _threshold)];

    /// <inheritdoc/>
    public override string SaeLensArchitecture => "jumprelu";

    /// <summary>x [B, d_in] -> f = h·1[h &gt; θ] [B, d_sae].</summary>
    public override Tensor Encode(Tensor x) => ThresholdEncode(x, _threshold);

    /// <inheritdoc/>
    public override SaeForward TrainingForward(Tensor x, SaeStepContext step)
    {
        using var scope = TensorScope.Enter();
        x = AsInput(x);
        var batch = x.Size(0);
        var eps = Options.Bandwidth;
        var theta = _threshold;
        var h = PreActivations(x);                                                // [B, d_sae]
        Tensor open, window;
        using (TorchRuntime.NoGrad())
        {
            open = h.Gt(theta);                                                   // H(h − θ)
            window = (h - theta).Abs().Lt(eps / 2);                               // K((h − θ)/ε) ≠ 0
        }
        var thetaDelta = theta - theta.Detach();                                  // 0, with ∂/∂θ = 1

        // f = h·H(h − θ), plus (θ − θ.detach())·(−θ/ε)K: ∂f/∂h = H, ∂f/∂θ = −(θ/ε)K, value unchanged.
        var steCoefficient = window * (theta.Detach() * (-1 / eps));              // [B, d_sae], detached
        var f = h * open + thetaDelta * steCoefficient;
        var xHat = Decode(f);
        var mse = SquaredError(xHat, x);
        var decoderNorms = WDec.Norm(2, 1);                                       // [d_sae]

        Tensor sparsity;
        if (Options.SparsityMode == SparsityMode.Tanh)
        {
            sparsity = (f * (decoderNorms * Options.TanhScale)).Tanh().Sum() / batch;
        }
        else
        {
            // E_t Σ_i H(h − θ) (= L0), with the step's pseudo-derivative −(1/ε)K summed over rows.
            Tensor l0, stepCoefficient;
            using (TorchRuntime.NoGrad())
            {
                l0 = open.Sum().To(theta.DType) / batch;
                stepCoefficient = window.Sum([0]).To(theta.DType) * (-1 / (eps * batch));   // [d_sae]
            }
            sparsity = l0 + (thetaDelta * stepCoefficient).Sum();
        }
        var sparsityTerm = sparsity * (Options.L0Coefficient * step.SparsityScale);
        var loss = mse + sparsityTerm;
        var terms = new Dictionary<string, Tensor> { ["sparsity"] = scope.Keep(sparsityTerm.Detach()) };

        if (DeadLatents(step) is { } dead)
        {
            // Pre-activation loss on dead latents only: pulls their h up towards θ.
            var gap = (theta.IndexSelect(0, dead) - h.IndexSelect(1, dead)).Relu();   // [B, n_dead]
            var preAct = (gap * decoderNorms.IndexSelect(0, dead)).Sum() * (Options.PreActCoefficient / batch);
            loss = loss + preAct;
            terms["pre_act"] = scope.Keep(preAct.Detach());
        }

        using var noGrad = TorchRuntime.NoGrad();
        return new SaeForward
        {
            Loss = scope.Keep(loss),
            Mse = scope.Keep(mse.Detach()),
            L0 = scope.Keep(open.Sum().To(DType.Float32) / batch),
            Fired = scope.Keep(open.Any(0)),
            Terms = terms,
        };
    }

    /// <summary>Clamps θ at 0, so that f = h·1[h &gt; θ] stays non-negative.</summary>
    public override void AfterOptimizerStep()
    {
        using var noGrad = TorchRuntime.NoGrad();
        _threshold.Clamp_(min: 0);
    }

    /// <summary>threshold [d_sae], unchanged by the input scale (it lives in the pre-activation space).</summary>
    protected override void AddExportTensors(IDictionary<string, Tensor> tensors) => tensors["threshold"] = _threshold.Detach().Clone();
}
