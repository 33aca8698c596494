using Runner.Core.Models;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.Steering;

/// <summary>Which token positions a steering hook acts on.</summary>
public enum PositionFilter
{
    /// <summary>Every position.</summary>
    All,

    /// <summary>Positions before the prompt's end.</summary>
    Prompt,

    /// <summary>Positions at or after the prompt's end (generated tokens).</summary>
    Generated,
}

/// <summary>
/// Activation hooks built from an SAE: splice its reconstruction in, zero-ablate the site, or clamp features
/// with the error term preserved. Activations arrive as [B, T, d] in the model's dtype; the SAE works in float32.
/// </summary>
public static class SaeHooks
{
    /// <summary>
    /// Replaces the activation with the SAE's reconstruction x̂ = Decode(Encode(s·x))/s, except at rows where
    /// <paramref name="keep"/> (the same [B, T] bool for every call: special tokens) is true, which stay clean.
    /// </summary>
    public static ActivationHook Splice(ISparseAutoencoder sae, Tensor? keep = null) => (x, _) =>
    {
        var flat = x.Reshape(-1, x.Size(-1)).To(DType.Float32);              // [B·T, d]
        var s = sae.InputScale;
        var recon = sae.Decode(sae.Encode(s == 1 ? flat : flat * s));       // [B·T, d]
        if (s != 1) recon = recon / s;
        if (keep is not null) recon = Tensors.Where(keep.Reshape(-1, 1).To(recon.Device), flat, recon);
        return recon.Reshape(x.Shape).To(x.DType);
    };

    /// <summary>Sets the activation to zero (the CE-loss-recovered baseline), except where <paramref name="keep"/> is true.</summary>
    public static ActivationHook ZeroAblate(Tensor? keep = null) => (x, _) =>
        keep is null ? x.ZerosLike() : Tensors.Where(keep.Unsqueeze(-1).To(x.Device), x, x.ZerosLike());

    /// <summary>
    /// Applies <paramref name="clamps"/> (see <see cref="Steering.Apply"/>) at the positions <paramref name="filter"/>
    /// selects; <paramref name="promptLength"/> separates prompt from generated positions.
    /// </summary>
    public static ActivationHook Clamp(ISparseAutoencoder sae, IReadOnlyList<FeatureClamp> clamps, PositionFilter filter = PositionFilter.All, long promptLength = 0) =>
        (x, context) =>
        {
            var (b, t, d) = (x.Size(0), x.Size(1), x.Size(2));
            Tensor? mask = null;
            if (filter != PositionFilter.All)
            {
                var positions = Tensors.Arange(context.StartPosition, context.StartPosition + t, dtype: DType.Int64, device: x.Device); // [T]
                var inPrompt = positions.Lt(promptLength);
                mask = (filter == PositionFilter.Prompt ? inPrompt : inPrompt.LogicalNot()).Unsqueeze(0).Expand(b, t).Reshape(-1);
            }
            var flat = x.Reshape(b * t, d).To(DType.Float32);
            return Steering.Apply(sae, flat, clamps, mask).Reshape(b, t, d).To(x.DType);
        };
}
