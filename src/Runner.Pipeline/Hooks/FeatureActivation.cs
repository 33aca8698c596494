namespace Runner.Pipeline.Hooks;

/// <summary>One activation of a feature on one captured row (see <see cref="HookSae.TopActivations"/>).</summary>
/// <param name="Activation">The feature's activation.</param>
/// <param name="Row">The row of the capture (sequence = row / context length).</param>
/// <param name="TokenId">The token at that row, or -1 when the capture has no token ids.</param>
public sealed record FeatureActivation(double Activation, long Row, int TokenId);
