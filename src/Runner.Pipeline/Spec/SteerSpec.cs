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

    /// <summary>Which prompt set the ablation setting generates from.</summary>
    public PromptSet AblateOn { get; init; } = PromptSet.Prompts;

    /// <summary>Ground-truth topic whose share of generated words is measured (planted corpus, toy model); null = none.</summary>
    public string? Topic { get; init; }

    /// <summary>Openings of held-out documents on <see cref="Topic"/>, a second prompt set; null = none.</summary>
    public TopicPromptsSpec? TopicPrompts { get; init; }

    /// <summary>Sampling settings.</summary>
    public GenerateSpec Generate { get; init; } = new();
}
