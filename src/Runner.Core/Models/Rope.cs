namespace Runner.Core.Models;

/// <summary>
/// Rotary position embedding frequencies, as transformers' modeling_rope_utils.py computes them
/// (default, linear, dynamic, llama3 and yarn), over the first <see cref="ModelConfig.RotaryDims"/>
/// dimensions of each head.
/// </summary>
public static class Rope
{
    /// <summary>
    /// The inverse frequencies [rotaryDims / 2] and the factor cos and sin are multiplied by, for a
    /// forward whose last position is <paramref name="sequenceLength"/> - 1 (only dynamic NTK uses it).
    /// </summary>
    public static (double[] InverseFrequencies, double AttentionFactor) Frequencies(ModelConfig config, long sequenceLength = 0)
    {
        var dim = config.RotaryDims;
        var theta = config.RopeTheta;
        double[] Default(double b) => [.. Enumerable.Range(0, dim / 2).Select(i => 1.0 / Math.Pow(b, 2.0 * i / dim))];
        var s = config.RopeScaling;
        if (s is null) return (Default(theta), 1);
        switch (s.Type)
        {
            case RopeScalingType.Linear:
                return ([.. Default(theta).Select(f => f / s.Factor)], 1);
            case RopeScalingType.Dynamic:
            {
                // Recomputed only past max_position_embeddings; shorter sequences use the plain frequencies.
                long max = config.MaxPositions;
                if (sequenceLength <= max) return (Default(theta), 1);
                var b = theta * Math.Pow(s.Factor * sequenceLength / max - (s.Factor - 1), dim / (dim - 2.0));
                return (Default(b), 1);
            }
            case RopeScalingType.Llama3:
            {
                double old = s.OriginalMaxPositions ?? config.MaxPositions;
                var lowWavelength = old / s.LowFreqFactor;
                var highWavelength = old / s.HighFreqFactor;
                var result = Default(theta).Select(f =>
                {
                    var wavelength = 2 * Math.PI / f;
                    if (wavelength < highWavelength) return f;
                    if (wavelength > lowWavelength) return f / s.Factor;
                    var smooth = (old / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    return (1 - smooth) * f / s.Factor + smooth * f;
                });
                return ([.. result], 1);
            }
            default:
                return Yarn(config, s, dim, theta);
        }
    }

    // YaRN (arXiv 2309.00071) as transformers v5 computes it: `factor` as given, the correction range from
    // original_max_position_embeddings (default max_position_embeddings).
    private static (double[], double) Yarn(ModelConfig config, RopeScaling s, int dim, double theta)
    {
        double original = s.OriginalMaxPositions ?? config.MaxPositions;
        static double MScale(double scale, double m = 1) => scale <= 1 ? 1 : 0.1 * m * Math.Log(scale) + 1;
        var attention = s.AttentionFactor
            ?? (s.Mscale is { } m && m != 0 && s.MscaleAllDim is { } all && all != 0 ? MScale(s.Factor, m) / MScale(s.Factor, all) : MScale(s.Factor));
        double CorrectionDim(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        var low = CorrectionDim(s.BetaFast);
        var high = CorrectionDim(s.BetaSlow);
        if (s.Truncate)
        {
            low = Math.Floor(low);
            high = Math.Ceiling(high);
        }
        low = Math.Max(low, 0);
        high = Math.Min(high, dim - 1);
        if (low == high) high += 0.001; // as transformers: avoid a zero-width ramp
        var result = new double[dim / 2];
        for (var i = 0; i < result.Length; i++)
        {
            var posFreq = Math.Pow(theta, 2.0 * i / dim);
            var ramp = Math.Clamp((i - low) / (high - low), 0, 1);
            var extrapolation = 1 - ramp;   // 1 for high-frequency dims (kept), 0 for low ones (interpolated)
            result[i] = 1 / (s.Factor * posFreq) * (1 - extrapolation) + 1 / posFreq * extrapolation;
        }
        return (result, attention);
    }
}
