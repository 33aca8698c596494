namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>steer.generate</c> section: how completions are sampled.</summary>
public sealed record GenerateSpec
{
    /// <summary>New tokens per completion.</summary>
    public int Tokens { get; init; } = 30;

    /// <summary>Completions per prompt and setting.</summary>
    public int Samples { get; init; } = 20;

    /// <summary>Take the most likely token instead of sampling.</summary>
    public bool Greedy { get; init; }

    /// <summary>Sampling temperature.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Sample only among the k most likely tokens; null = no limit.</summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus sampling mass; null = no limit.</summary>
    public double? TopP { get; init; }
}
