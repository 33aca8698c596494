namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>evaluate</c> section.</summary>
public sealed record EvaluateSpec
{
    /// <summary>Held-out tokens the SAE is evaluated on.</summary>
    public long Tokens { get; init; } = 100_000;

    /// <summary>Measure CE loss and KL with the SAE spliced into the model (false for synthetic data).</summary>
    public bool CeLoss { get; init; } = true;

    /// <summary>Features (the strongest) whose top-activating examples are saved.</summary>
    public int TopFeatures { get; init; } = 100;

    /// <summary>Top-activating examples saved per feature.</summary>
    public int TopExamples { get; init; } = 10;

    /// <summary>Tokens of context saved on each side of an example.</summary>
    public int ExampleWindow { get; init; } = 8;

    /// <summary>Precision a feature needs to count as matching a topic (ground-truth data; also auto:TOPIC).</summary>
    public double TopicPrecision { get; init; } = 0.9;
}
