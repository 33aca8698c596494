using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>What the trainer tells an SAE's training forward pass about the current step.</summary>
public sealed record SaeStepContext
{
    /// <summary>Multiplier of the sparsity coefficient in [0, 1] (λ warm-up).</summary>
    public double SparsityScale { get; init; } = 1;

    /// <summary>Latents that are dead now (not fired within the dead window): [d_sae] bool, or null when none are / not tracked.</summary>
    public Tensor? DeadMask { get; init; }
}
