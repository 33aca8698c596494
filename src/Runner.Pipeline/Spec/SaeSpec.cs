namespace Runner.Pipeline.Spec;

/// <summary>
/// The spec's <c>sae</c> section. Keys that only one architecture reads are null for the others
/// (setting them is a conflict); the initializers are the defaults of the default architecture, topk.
/// </summary>
public sealed record SaeSpec
{
    /// <summary><c>relu</c>, <c>topk</c>, <c>batchtopk</c> or <c>jumprelu</c>.</summary>
    public SaeArchitecture Architecture { get; init; } = SaeArchitecture.TopK;

    /// <summary>Number of latents; null when given as <see cref="Expansion"/>.</summary>
    public int? DictSize { get; init; }

    /// <summary>Latents as a multiple of d_in (dict_size = round(expansion × d_in)); null when dict_size is given.</summary>
    public double? Expansion { get; init; } = 8;

    /// <summary>topk, batchtopk: active latents per token.</summary>
    public int? K { get; init; } = 32;

    /// <summary>Adam learning rate.</summary>
    public double Lr { get; init; } = 2e-4;

    /// <summary>Activation rows per training step.</summary>
    public int BatchSize { get; init; } = 4096;

    /// <summary>Training tokens (more than data.tokens means several epochs).</summary>
    public long Tokens { get; init; } = 1_000_000;

    /// <summary>Training precision (bfloat16 = autocast with fp32 master weights).</summary>
    public Precision Dtype { get; init; } = Precision.Float32;

    /// <summary>Fraction of steps at the end over which the learning rate decays linearly to 0.</summary>
    public double LrDecayFraction { get; init; } = 0.2;

    /// <summary>Adam β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam β2.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Gradient-norm clip (0 = off).</summary>
    public double GradClip { get; init; } = 1.0;

    /// <summary>Scale inputs by one scalar so their mean norm is √d_in (folded into the weights at save).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>A latent is dead when it has not fired for this many tokens (or the whole run if shorter).</summary>
    public long DeadWindow { get; init; } = 10_000_000;

    /// <summary>Checkpoint every this many tokens; null = only on cancel.</summary>
    public long? CheckpointEvery { get; init; }

    /// <summary>Record training curves every this many steps (changes no result; not in cache keys).</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>topk, batchtopk: dead latents used by the AuxK loss; null = d_in / 2.</summary>
    public int? AuxK { get; init; }

    /// <summary>topk, batchtopk: weight of the AuxK loss.</summary>
    public double? AuxKCoefficient { get; init; } = 0.03125;

    /// <summary>relu: sparsity penalty λ.</summary>
    public double? L1Coefficient { get; init; }

    /// <summary>relu: fraction of steps over which λ warms up from 0.</summary>
    public double? L1WarmupFraction { get; init; }

    /// <summary>relu: re-initialize dead and near-duplicate latents during training (off unless its every is set).</summary>
    public ResampleSpec? Resample { get; init; }

    /// <summary>jumprelu: <c>step</c> or <c>tanh</c> sparsity penalty.</summary>
    public JumpReluSparsity? SparsityMode { get; init; }

    /// <summary>jumprelu: sparsity penalty weight.</summary>
    public double? L0Coefficient { get; init; }

    /// <summary>jumprelu with tanh: the tanh sharpness c.</summary>
    public double? TanhScale { get; init; }

    /// <summary>jumprelu: straight-through estimator bandwidth ε.</summary>
    public double? Bandwidth { get; init; }

    /// <summary>jumprelu: initial threshold θ (kept in fp32, not log-parameterized).</summary>
    public double? InitThreshold { get; init; }

    /// <summary>jumprelu: weight of the pre-activation loss on dead latents.</summary>
    public double? PreActCoefficient { get; init; }
}
