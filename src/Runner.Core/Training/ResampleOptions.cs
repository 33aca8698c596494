namespace Runner.Core.Training;

/// <summary>When and which latents <see cref="LatentResampler"/> re-initializes during training (the spec's <c>sae.resample</c>).</summary>
public sealed record ResampleOptions
{
    /// <summary>Resample every this many steps (after steps N, 2N, …).</summary>
    public required long EverySteps { get; init; }

    /// <summary>No resampling after this fraction of the run's steps, so the last latents have time to settle.</summary>
    public double StopFraction { get; init; } = 0.5;

    /// <summary>Resample latents that have not fired in the last <see cref="EverySteps"/> steps.</summary>
    public bool Dead { get; init; } = true;

    /// <summary>
    /// Resample one latent of every pair whose decoder directions have cosine above this (the one that
    /// contributes less to the current batch's reconstruction); null = leave near-duplicates alone.
    /// </summary>
    public double? DuplicateCosine { get; init; }

    /// <summary>New encoder rows get this fraction of the mean live encoder-row norm (Towards Monosemanticity: 0.2).</summary>
    public double EncoderNormScale { get; init; } = 0.2;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (EverySteps < 1) throw new ArgumentException($"resample option EverySteps must be >= 1, got {EverySteps}");
        if (StopFraction is < 0 or > 1) throw new ArgumentException($"resample option StopFraction must be in [0, 1], got {StopFraction}");
        if (DuplicateCosine is { } c && !(c > 0 && c < 1)) throw new ArgumentException($"resample option DuplicateCosine must be in (0, 1), got {c}");
        if (!(EncoderNormScale > 0)) throw new ArgumentException($"resample option EncoderNormScale must be > 0, got {EncoderNormScale}");
        if (!Dead && DuplicateCosine is null) throw new ArgumentException("resample options resample nothing: set Dead or DuplicateCosine");
    }

    /// <summary>True when a resampling is due after <paramref name="step"/> steps (1-based) of <paramref name="totalSteps"/>.</summary>
    public bool DueAfter(long step, long totalSteps) => step % EverySteps == 0 && step <= StopFraction * totalSteps;
}
