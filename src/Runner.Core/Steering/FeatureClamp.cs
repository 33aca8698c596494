namespace Runner.Core.Steering;

/// <summary>One intervention on SAE latent <paramref name="Feature"/> (see <see cref="ClampMode"/>).</summary>
/// <param name="Feature">The latent index, in [0, d_sae).</param>
/// <param name="Mode">Set, scale or add.</param>
/// <param name="Amount">The value, factor or addend (in the SAE's latent units).</param>
public sealed record FeatureClamp(int Feature, ClampMode Mode, double Amount);
