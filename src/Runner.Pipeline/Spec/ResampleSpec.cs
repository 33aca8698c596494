namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>sae.resample</c>: re-initializing dead and near-duplicate latents during training (relu).</summary>
public sealed record ResampleSpec
{
    /// <summary>Resample every this many training tokens (rounded up to whole steps); null = never.</summary>
    public long? Every { get; init; }

    /// <summary>No resampling after this fraction of the run.</summary>
    public double Until { get; init; } = 0.5;

    /// <summary>Resample latents that did not fire in the last interval.</summary>
    public bool Dead { get; init; } = true;

    /// <summary>Resample the weaker latent of each pair whose decoder cosine is above this; null = off.</summary>
    public double? Duplicates { get; init; }
}
