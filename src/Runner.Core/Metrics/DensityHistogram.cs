namespace Runner.Core.Metrics;

/// <summary>
/// Histogram of log10(density + 1e-10) over features (SAELens' feature density histogram): fixed bins
/// of width <see cref="BinWidth"/> from −10 to 0, so histograms of different runs line up. Bin i
/// covers [Edges[i], Edges[i+1]); the last bin also holds 0 (features that fire on every token). Dead
/// features (density 0) land in the first bin, at exactly −10.
/// </summary>
public sealed record DensityHistogram
{
    /// <summary>The ε added before the logarithm.</summary>
    public const double Epsilon = 1e-10;

    /// <summary>Lowest edge: log10(ε).</summary>
    public const double Min = -10;

    /// <summary>Bin width in decades.</summary>
    public const double BinWidth = 0.2;

    /// <summary>Number of bins (50).</summary>
    public const int Bins = 50;

    /// <summary>The Bins + 1 bin edges, −10, −9.8, …, 0.</summary>
    public required double[] Edges { get; init; }

    /// <summary>Features per bin.</summary>
    public required long[] Counts { get; init; }

    /// <summary>log10(p + 1e-10) per feature.</summary>
    public static double[] Log10Density(IReadOnlyList<double> density)
    {
        var result = new double[density.Count];
        for (var i = 0; i < result.Length; i++) result[i] = Math.Log10(density[i] + Epsilon);
        return result;
    }

    /// <summary>The histogram of <see cref="Log10Density"/> of <paramref name="density"/>.</summary>
    public static DensityHistogram Of(IReadOnlyList<double> density)
    {
        var edges = new double[Bins + 1];
        for (var i = 0; i <= Bins; i++) edges[i] = Math.Round(Min + i * BinWidth, 10);
        var counts = new long[Bins];
        foreach (var v in Log10Density(density))
        {
            // the small slack keeps values on an edge (e.g. log10(0.01) = −2) in the bin that edge opens
            var bin = (int)Math.Floor((v - Min) / BinWidth + 1e-9);
            counts[Math.Clamp(bin, 0, Bins - 1)]++;
        }
        return new DensityHistogram { Edges = edges, Counts = counts };
    }
}
