namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>steer</c> section. The steer stage runs when clamps or ablate is non-empty.</summary>
public sealed record SteerSpec
{
    /// <summary>Prompts generation starts from.</summary>
    public IReadOnlyList<string> Prompts { get; init; } = [];

    /// <summary>Feature clamps, each one steering setting compared with the unclamped baseline.</summary>
    public IReadOnlyList<ClampSpec> Clamps { get; init; } = [];

    /// <summary>Features set to 0 together (one more setting); <c>auto:TOPIC</c> means every matching feature.</summary>
    public IReadOnlyList<FeatureRef> Ablate { get; init; } = [];

    /// <summary>Sampling settings.</summary>
    public GenerateSpec Generate { get; init; } = new();
}
