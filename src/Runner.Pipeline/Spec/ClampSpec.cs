namespace Runner.Pipeline.Spec;

/// <summary>
/// One entry of <c>steer.clamps</c>: a feature and exactly one of value, multiple_of_max, scale, add.
/// Applied with the SAE error term preserved: x' = x + (v − f_i) W_dec[i].
/// </summary>
public sealed record ClampSpec
{
    /// <summary>The feature: an index, <c>auto:TOPIC</c> (best feature for a ground-truth topic) or <c>random</c> (a control).</summary>
    public required FeatureRef Feature { get; init; }

    /// <summary>Set the activation to this value.</summary>
    public double? Value { get; init; }

    /// <summary>Set the activation to this multiple of the feature's max activation in evaluation.</summary>
    public double? MultipleOfMax { get; init; }

    /// <summary>Multiply the current activation by this factor.</summary>
    public double? Scale { get; init; }

    /// <summary>Add this multiple of the feature's decoder row.</summary>
    public double? Add { get; init; }

    /// <summary>Token positions it acts on.</summary>
    public ClampPositions Positions { get; init; } = ClampPositions.All;

    /// <summary>Which prompt set the setting generates from.</summary>
    public PromptSet On { get; init; } = PromptSet.Prompts;

    /// <summary>Name of the setting in tables and reports; null = derived from the clamp.</summary>
    public string? Label { get; init; }
}
