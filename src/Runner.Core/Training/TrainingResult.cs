namespace Runner.Core.Training;

/// <summary>What a finished training run reports (the SAE itself was trained in place).</summary>
public sealed record TrainingResult
{
    /// <summary>Steps taken (including those before a resume).</summary>
    public required long Steps { get; init; }

    /// <summary>Training rows consumed.</summary>
    public required long Tokens { get; init; }

    /// <summary>The input scale s the SAE was trained with (1 without normalization).</summary>
    public required double InputScale { get; init; }

    /// <summary>The training curves, one point per LogEvery steps and one at the last step.</summary>
    public required IReadOnlyList<TrainingPoint> Curve { get; init; }

    /// <summary>Fraction of latents dead at the end (not fired within the effective dead window).</summary>
    public required double DeadFraction { get; init; }

    /// <summary>Per latent: training tokens since it last fired (the run's tokens if it never did).</summary>
    public required long[] TokensSinceFired { get; init; }

    /// <summary>True when the run continued from a checkpoint.</summary>
    public bool Resumed { get; init; }

    /// <summary>Latents re-initialized because they were dead, summed over every resampling (0 without resampling).</summary>
    public long ResampledDead { get; init; }

    /// <summary>Latents re-initialized as the weaker of a near-duplicate pair, summed over every resampling.</summary>
    public long ResampledDuplicates { get; init; }
}
