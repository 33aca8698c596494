namespace Runner.Core.Sae;

/// <summary>
/// Which implementation computes a TopK training step. Both give the same loss and gradients up to
/// float rounding; only the speed differs (see <see cref="TopKSae"/>).
/// </summary>
public enum SaeKernels
{
    /// <summary>Sparse when it is faster: d_sae ≥ 8·k in float32, d_sae ≥ 32·k under bf16 autocast (see <see cref="TopKSae.UsesSparseKernels"/>).</summary>
    Auto,
    /// <summary>Dense activations [B, d_sae] and dense matrix products, differentiated by autograd (the reference).</summary>
    Dense,
    /// <summary>Only the k active latents per row: embedding-bag decoder, sparse encoder and decoder weight gradients.</summary>
    Sparse,
}
