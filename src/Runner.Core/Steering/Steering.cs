using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.Steering;

/// <summary>
/// Feature steering with the SAE error term preserved (Templeton et al., "Scaling Monosemanticity",
/// 2024: clamp a feature, keep the reconstruction error). Because decoding is linear in f plus b_dec,
/// replacing latent f_i by v changes the reconstruction by exactly (v − f_i)·W_dec[i], so
/// <code>
/// x' = x + Σ_i (v_i − f_i) · W_dec[i] / s        x, x': [N, d_in] raw; f = Encode(s·x): [N, d_sae]
/// </code>
/// with s = <see cref="ISparseAutoencoder.InputScale"/> (x_sae = s·x). Nothing else of x changes, in
/// particular not the part the SAE fails to reconstruct.
/// </summary>
public static class Steering
{
    /// <summary>
    /// x [N, d_in] (raw activations, rows of any positions) -> x' [N, d_in], same dtype and device. All f
    /// are computed once from x; several clamps on one latent apply in list order (Value 3 then Scale 2
    /// gives 6). Rows where <paramref name="rowMask"/> [N] is false are returned unchanged. Throws
    /// <see cref="RunnerException"/> for a latent outside [0, d_sae) or a non-finite amount.
    /// </summary>
    public static Tensor Apply(ISparseAutoencoder sae, Tensor x, IReadOnlyList<FeatureClamp> clamps, Tensor? rowMask = null)
    {
        ArgumentNullException.ThrowIfNull(sae);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(clamps);
        var (dIn, dSae) = (sae.Options.DIn, sae.Options.DSae);
        if (x.Dim != 2 || x.Size(1) != dIn)
            throw new RunnerException($"steering: activations must have shape [N, {dIn}] (the SAE's d_in), got [{string.Join(", ", x.Shape)}]");
        if (rowMask is not null && (rowMask.Dim != 1 || rowMask.Size(0) != x.Size(0)))
            throw new ArgumentException($"the row mask must have shape [{x.Size(0)}], got [{string.Join(", ", rowMask.Shape)}]", nameof(rowMask));

        // Per latent, in order of first appearance, the clamps fold into target = α·f_i + β.
        var latents = new List<int>();
        var affine = new Dictionary<int, (double Alpha, double Beta)>();
        foreach (var clamp in clamps)
        {
            if (clamp.Feature < 0 || clamp.Feature >= dSae)
                throw new RunnerException($"steer.clamps: feature {clamp.Feature} does not exist; the SAE has d_sae = {dSae} (features 0 to {dSae - 1})", 2);
            if (!double.IsFinite(clamp.Amount))
                throw new RunnerException($"steer.clamps: feature {clamp.Feature}: the {clamp.Mode.ToString().ToLowerInvariant()} amount must be finite, got {clamp.Amount}", 2);
            if (!affine.TryGetValue(clamp.Feature, out var ab))
            {
                latents.Add(clamp.Feature);
                ab = (1, 0);
            }
            affine[clamp.Feature] = clamp.Mode switch
            {
                ClampMode.Value => (0, clamp.Amount),
                ClampMode.Scale => (ab.Alpha * clamp.Amount, ab.Beta * clamp.Amount),
                ClampMode.Add => (ab.Alpha, ab.Beta + clamp.Amount),
                _ => throw new ArgumentOutOfRangeException(nameof(clamps), clamp.Mode, "unknown clamp mode"),
            };
        }

        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        if (latents.Count == 0) return scope.Keep(x.Clone());
        var wDec = sae.Parameters.Single(p => p.Key == "W_dec").Value.Detach();       // [d_sae, d_in], SAE space
        var device = wDec.Device;
        var s = sae.InputScale;
        var index = Tensors.From(latents.Select(i => (long)i).ToArray()).To(device);                             // [n]
        var alphaMinusOne = Tensors.From(latents.Select(i => affine[i].Alpha - 1).ToArray()).To(device, wDec.DType);   // [n]
        var beta = Tensors.From(latents.Select(i => affine[i].Beta).ToArray()).To(device, wDec.DType);                  // [n]

        // Coefficients c = target − f_i = (α − 1)·f_i + β: [N, n]. Add-only latents (α = 1) need no encoding.
        var input = x.To(device, wDec.DType);                                            // [N, d_in]
        Tensor coefficients;
        if (latents.All(i => affine[i].Alpha == 1))
            coefficients = beta.Unsqueeze(0).Expand(x.Size(0), latents.Count);
        else
            coefficients = sae.Encode(input * s).To(wDec.DType).IndexSelect(1, index) * alphaMinusOne + beta;

        var delta = coefficients.Mm(wDec.IndexSelect(0, index)) / s;                     // [N, n] × [n, d_in] -> [N, d_in], raw space
        var steered = (input + delta).To(x.Device, x.DType);
        if (rowMask is not null)
            steered = Tensors.Where(rowMask.To(x.Device, DType.Bool).Unsqueeze(1), steered, x);
        return scope.Keep(steered);
    }
}
