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

    /// <summary>Correlation between feature activations (0 = independent).</summary>
    public double Correlation { get; init; }
}
