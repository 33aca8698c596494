namespace Runner.Core.Models;

/// <summary>The rope_scaling variants transformers implements that Runner supports.</summary>
public enum RopeScalingType
{
    /// <summary>Position interpolation: every inverse frequency divided by the factor.</summary>
    Linear,
    /// <summary>Dynamic NTK: the base grows with the sequence length once it passes max_position_embeddings.</summary>
    Dynamic,
    /// <summary>Llama 3.1: low frequencies divided by the factor, high ones kept, a smooth ramp between.</summary>
    Llama3,
    /// <summary>YaRN: a per-dimension ramp between interpolation and extrapolation, plus an attention factor on cos/sin.</summary>
    Yarn,
}

/// <summary>config.json's <c>rope_scaling</c> object (the keys transformers reads for each type).</summary>
public sealed record RopeScaling
{
    /// <summary>rope_type (or the older <c>type</c>).</summary>
    public required RopeScalingType Type { get; init; }
    /// <summary>factor: the context extension ratio.</summary>
    public required double Factor { get; init; }
    /// <summary>llama3: low_freq_factor.</summary>
    public double LowFreqFactor { get; init; } = 1;
    /// <summary>llama3: high_freq_factor.</summary>
    public double HighFreqFactor { get; init; } = 4;
    /// <summary>llama3 (required) and yarn (default: max_position_embeddings): original_max_position_embeddings.</summary>
    public int? OriginalMaxPositions { get; init; }
    /// <summary>yarn: beta_fast (default 32).</summary>
    public double BetaFast { get; init; } = 32;
    /// <summary>yarn: beta_slow (default 1).</summary>
    public double BetaSlow { get; init; } = 1;
    /// <summary>yarn: attention_factor, the scale of cos and sin (default from mscale / the factor).</summary>
    public double? AttentionFactor { get; init; }
    /// <summary>yarn: mscale.</summary>
    public double? Mscale { get; init; }
    /// <summary>yarn: mscale_all_dim.</summary>
    public double? MscaleAllDim { get; init; }
    /// <summary>yarn: truncate (default true: the correction range is rounded to whole dimensions).</summary>
    public bool Truncate { get; init; } = true;

    /// <summary>The config.json spelling of a type.</summary>
    public static string TypeName(RopeScalingType type) => type switch
    {
        RopeScalingType.Linear => "linear",
        RopeScalingType.Dynamic => "dynamic",
        RopeScalingType.Llama3 => "llama3",
        _ => "yarn",
    };
}
