namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>data.synthetic</c> section: sparse combinations of known unit-vector features.</summary>
public sealed record SyntheticDataSpec
{
    /// <summary>Number of true features.</summary>
    public int Features { get; init; } = 512;

    /// <summary>Dimension of the activations (the SAE's d_in).</summary>
    public int DIn { get; init; } = 64;

    /// <summary>Probability that a feature is active on a token.</summary>
    public double Frequency { get; init; } = 0.01;

    /// <summary>Mean magnitude of an active feature.</summary>
    public double Magnitude { get; init; } = 1.0;

    /// <summary>How an active feature's magnitude is drawn around <see cref="Magnitude"/>.</summary>
    public SyntheticMagnitudes Magnitudes { get; init; } = SyntheticMagnitudes.Uniform;

    /// <summary>Spread of the firing probabilities: p_i ∝ (i + 1)^-decay with mean <see cref="Frequency"/> (0 = all equal).</summary>
    public double FrequencyDecay { get; init; }

    /// <summary>Correlation between feature activations (0 = independent).</summary>
    public double Correlation { get; init; }
}
