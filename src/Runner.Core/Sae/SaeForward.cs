using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>
/// A training forward pass: the loss to back-propagate and what the trainer records. Every tensor
/// belongs to the caller's TensorScope.
/// </summary>
public sealed record SaeForward
{
    /// <summary>The total loss (scalar), attached to the graph.</summary>
    public required Tensor Loss { get; init; }

    /// <summary>Reconstruction error, E_t Σ_d (x̂ − x)² (scalar, detached).</summary>
    public required Tensor Mse { get; init; }

    /// <summary>Mean active latents per row (scalar, detached).</summary>
    public required Tensor L0 { get; init; }

    /// <summary>Which latents fired on any row of this batch: [d_sae] bool (detached).</summary>
    public required Tensor Fired { get; init; }

    /// <summary>
    /// The other loss terms by name (relu: "l1"; topk, batchtopk: "auxk" when latents are dead;
    /// jumprelu: "sparsity", and "pre_act" when latents are dead), scalars, detached, each as its
    /// weighted contribution: Loss = Mse + Σ Terms.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> Terms { get; init; } = new Dictionary<string, Tensor>();
}
