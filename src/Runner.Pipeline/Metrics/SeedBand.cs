namespace Runner.Pipeline.Metrics;

/// <summary>
/// How much a metric moves when only the seed changes: the mean, the sample standard deviation, the range and the
/// number of seeds of one metric measured at N ≥ 2 seeds, and the tolerance a single run is held to:
/// <c>max(sigmas·σ, floor)</c>, the floor coming from the metric's kind (<see cref="MetricDefinition.BandFloor"/>) so
/// that a metric that happened not to move over N seeds (σ = 0) is not held to bit-exactness.
/// </summary>
public sealed record SeedBand(double Mean, double Std, double Min, double Max, int N, double Floor, double Tolerance)
{
    /// <summary>The default band half-width, in standard deviations.</summary>
    public const double DefaultSigmas = 4;

    /// <summary>The band of <paramref name="values"/> (one per seed, N ≥ 2) with half-width <c>max(sigmas·σ, floor)</c>.</summary>
    public static SeedBand From(IReadOnlyList<double> values, double floor, double sigmas = DefaultSigmas)
    {
        if (values.Count < 2) throw new ArgumentException($"a seed band needs at least 2 values, got {values.Count}", nameof(values));
        var mean = values.Average();
        // Sample standard deviation (n − 1): N is small (5), the population formula would understate the spread.
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new SeedBand(mean, std, values.Min(), values.Max(), values.Count, floor, Math.Max(sigmas * std, floor));
    }

    /// <summary>
    /// The tolerance for the mean of <paramref name="seeds"/> new runs: <c>max(tolerance·√((1/seeds + 1/N) / (1 + 1/N)), floor)</c>.
    /// A new run differs from the band's mean by σ·√(1 + 1/N) (its own noise and that of a mean of N seeds), a mean of
    /// <c>seeds</c> runs by σ·√(1/seeds + 1/N): the tolerance shrinks by that ratio, never below the floor. For one run
    /// it is <see cref="Tolerance"/>.
    /// </summary>
    public double ToleranceFor(int seeds) => ToleranceFor(Tolerance, seeds);

    /// <summary><see cref="ToleranceFor(int)"/> for a tolerance set by hand in a band file.</summary>
    public double ToleranceFor(double tolerance, int seeds) =>
        seeds <= 1 ? tolerance : Math.Max(tolerance * Math.Sqrt((1.0 / seeds + 1.0 / N) / (1 + 1.0 / N)), Floor);

    /// <summary>How many standard deviations <paramref name="x"/> lies from the mean (null when σ = 0).</summary>
    public double? SigmasAway(double x) => Std > 0 ? (x - Mean) / Std : null;

    /// <summary>True when two runs differing by <paramref name="difference"/> are within seed noise of each other.</summary>
    public bool WithinNoise(double difference) => Math.Abs(difference) <= Tolerance;
}
