namespace Runner.Core.Training;

/// <summary>The latents one resampling re-initialized.</summary>
public sealed record ResampleResult
{
    /// <summary>Latents resampled because they had not fired in the last interval.</summary>
    public required int[] Dead { get; init; }

    /// <summary>Latents resampled as the weaker of a near-duplicate pair.</summary>
    public required int[] Duplicates { get; init; }
}
