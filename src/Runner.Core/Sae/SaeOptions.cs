namespace Runner.Core.Sae;

/// <summary>What an SAE is: its shape, architecture and loss settings (the spec's sae section, resolved).</summary>
public sealed record SaeOptions
{
    /// <summary>Input width d_in.</summary>
    public required int DIn { get; init; }
    /// <summary>Number of latents d_sae.</summary>
    public required int DSae { get; init; }
    /// <summary>The architecture.</summary>
    public SaeKind Kind { get; init; } = SaeKind.TopK;
    /// <summary>Active latents per token (topk; batchtopk on average).</summary>
    public int K { get; init; } = 32;
    /// <summary>Dead latents used by AuxK; null = d_in / 2.</summary>
    public int? AuxK { get; init; }
    /// <summary>Weight of the AuxK loss.</summary>
    public double AuxKCoefficient { get; init; } = 1.0 / 32;
    /// <summary>λ of the ReLU L1 penalty (its peak after warm-up).</summary>
    public double L1Coefficient { get; init; } = 5.0;
    /// <summary>JumpReLU penalty form.</summary>
    public SparsityMode SparsityMode { get; init; } = SparsityMode.Tanh;
    /// <summary>JumpReLU sparsity weight.</summary>
    public double L0Coefficient { get; init; } = 5.0;
    /// <summary>JumpReLU tanh sharpness c.</summary>
    public double TanhScale { get; init; } = 4.0;
    /// <summary>JumpReLU STE bandwidth ε.</summary>
    public double Bandwidth { get; init; } = 2.0;
    /// <summary>JumpReLU initial threshold θ.</summary>
    public double InitThreshold { get; init; } = 0.1;
    /// <summary>JumpReLU pre-activation loss weight (dead latents only).</summary>
    public double PreActCoefficient { get; init; } = 3e-6;
    /// <summary>Norm of the random decoder rows at init for relu and jumprelu (SAELens decoder_init_norm; topk and batchtopk use unit rows).</summary>
    public double DecoderInitNorm { get; init; } = 0.1;
    /// <summary>How the topk training step is computed: auto (the sparse kernels when they are faster), dense or sparse. Results agree up to float rounding.</summary>
    public SaeKernels Kernels { get; init; } = SaeKernels.Auto;
}
