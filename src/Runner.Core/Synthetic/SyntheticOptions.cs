namespace Runner.Core.Synthetic;

/// <summary>How the magnitude of an active feature is drawn (every choice has mean <see cref="SyntheticOptions.Magnitude"/>).</summary>
public enum MagnitudeDistribution
{
    /// <summary>Always exactly the magnitude m.</summary>
    Constant,
    /// <summary>Uniform on [m/2, 3m/2].</summary>
    Uniform,
    /// <summary>Exponential with mean m (many small activations).</summary>
    Exponential,
}

/// <summary>
/// Synthetic activations with known features (the spec's <c>data.synthetic</c>, plus a few knobs the
/// spec does not expose yet). Row t is x_t = Σ_i c_{t,i} g_i (+ noise): g_i are random unit vectors,
/// c_{t,i} = a magnitude when feature i fires on row t, else 0.
/// </summary>
public sealed record SyntheticOptions
{
    /// <summary>Number of true features n.</summary>
    public int Features { get; init; } = 512;

    /// <summary>Dimension d of the activations.</summary>
    public int DIn { get; init; } = 64;

    /// <summary>Mean probability that a feature fires on a row.</summary>
    public double Frequency { get; init; } = 0.01;

    /// <summary>
    /// Spread of the firing probabilities: p_i ∝ (i + 1)^−decay, scaled so their mean is
    /// <see cref="Frequency"/> and clipped at 1 (0 = every feature fires with probability Frequency).
    /// </summary>
    public double FrequencyDecay { get; init; }

    /// <summary>Mean magnitude of an active feature.</summary>
    public double Magnitude { get; init; } = 1.0;

    /// <summary>How magnitudes are drawn around <see cref="Magnitude"/>.</summary>
    public MagnitudeDistribution Magnitudes { get; init; } = MagnitudeDistribution.Uniform;

    /// <summary>
    /// Correlation ρ of the firing events, through a Gaussian copula with one shared latent: feature i
    /// fires when √ρ·z_t + √(1−ρ)·e_{t,i} &lt; Φ⁻¹(p_i), so each keeps its own frequency while every pair's
    /// latent variables have correlation ρ (0 = independent).
    /// </summary>
    public double Correlation { get; init; }

    /// <summary>Standard deviation of isotropic Gaussian noise added to each dimension (0 = none).</summary>
    public double Noise { get; init; }

    /// <summary>Seed of the features and of every row.</summary>
    public ulong Seed { get; init; }

    /// <summary>Rows before the stream repeats (epochs over a fixed set); null = endless fresh rows.</summary>
    public long? Rows { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"synthetic option {what}");
        }
        Check(Features >= 1, $"Features must be >= 1, got {Features}");
        Check(DIn >= 1, $"DIn must be >= 1, got {DIn}");
        Check(Frequency is > 0 and <= 1, $"Frequency must be in (0, 1], got {Frequency}");
        Check(FrequencyDecay >= 0 && double.IsFinite(FrequencyDecay), $"FrequencyDecay must be >= 0, got {FrequencyDecay}");
        Check(Magnitude > 0 && double.IsFinite(Magnitude), $"Magnitude must be > 0, got {Magnitude}");
        Check(Correlation is >= 0 and <= 1, $"Correlation must be in [0, 1], got {Correlation}");
        Check(Noise >= 0 && double.IsFinite(Noise), $"Noise must be >= 0, got {Noise}");
        Check(Rows is null or >= 1, $"Rows must be >= 1, got {Rows}");
    }
}
