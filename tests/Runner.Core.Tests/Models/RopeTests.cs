using Runner.Core.Models;

namespace Runner.Core.Tests.Models;

/// <summary>inv_freq against values worked out by hand from transformers' formulas for head_dim 8, theta 10000.</summary>
public sealed class RopeTests
{
    private static readonly ModelConfig Head8 = ModelConfig.Create("llama", 10, 32, 1, 4, 16);

    private static void Near(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-9 * Math.Max(1, expected[i]) + 1e-12, $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void Default_rope_is_theta_to_the_minus_2i_over_d()
    {
        var (inv, attention) = Rope.Frequencies(Head8);
        Near([1, 0.1, 0.01, 0.001], inv);
        Assert.Equal(1, attention);
    }

    [Fact]
    public void Linear_scaling_divides_by_the_factor()
    {
        var (inv, _) = Rope.Frequencies(Head8 with { RopeScaling = new RopeScaling { Type = RopeScalingType.Linear, Factor = 2 } });
        Near([0.5, 0.05, 0.005, 0.0005], inv);
    }

    [Fact]
    public void Dynamic_ntk_only_changes_the_base_past_max_positions()
    {
        var c = Head8 with { RopeScaling = new RopeScaling { Type = RopeScalingType.Dynamic, Factor = 2 } };
        Near([1, 0.1, 0.01, 0.001], Rope.Frequencies(c, 16).InverseFrequencies);
        // seq 32, max 16: base' = 10000 · (2·32/16 - 1)^(8/6) = 10000 · 3^(4/3); inv_3 = base'^(-3/4) = 0.001 / 3
        Near([1, 0.06933612743506347, 0.004807498567691361, 0.001 / 3], Rope.Frequencies(c, 32).InverseFrequencies);
    }

    [Fact]
    public void Llama3_keeps_high_frequencies_divides_low_ones_and_ramps_between()
    {
        // original 1024: wavelengths 2π/f = 6.28, 62.8 (< 1024/4: kept), 628 (ramp), 6283 (> 1024: f / 8)
        var c = Head8 with { RopeScaling = new RopeScaling { Type = RopeScalingType.Llama3, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositions = 1024 } };
        var smooth = (1024 / (2 * Math.PI / 0.01) - 1) / 3;   // 0.209916
        Near([1, 0.1, (1 - smooth) * 0.01 / 8 + smooth * 0.01, 0.001 / 8], Rope.Frequencies(c).InverseFrequencies);
        Assert.Equal(0.003086760967011274, Rope.Frequencies(c).InverseFrequencies[2], 12);
    }

    [Fact]
    public void Yarn_ramps_between_extrapolation_and_interpolation_and_scales_attention()
    {
        // original 64: correction dims 8·ln(64/(r·2π))/(2·ln 10000) = -0.497 (r = 32) -> low 0, and 1.008 (r = 1) -> high 2;
        // ramp over i = 0..3 is (0, 0.5, 1, 1): i = 0 kept, i = 1 half-and-half, i ≥ 2 divided by the factor 4.
        var c = Head8 with { RopeScaling = new RopeScaling { Type = RopeScalingType.Yarn, Factor = 4, OriginalMaxPositions = 64 } };
        var (inv, attention) = Rope.Frequencies(c);
        Near([1, 0.5 * 0.1 + 0.5 * 0.1 / 4, 0.01 / 4, 0.001 / 4], inv);
        Assert.Equal(0.1 * Math.Log(4) + 1, attention, 12);
        var explicitFactor = Rope.Frequencies(c with { RopeScaling = c.RopeScaling! with { AttentionFactor = 0.7 } });
        Assert.Equal(0.7, explicitFactor.AttentionFactor);
    }

    [Fact]
    public void Neox_rotates_only_its_rotary_fraction()
    {
        var c = ModelConfig.Create("gpt_neox", 10, 64, 1, 2, 16);   // head_dim 32, rotary_pct 0.25 -> 8 dims
        Assert.Equal(8, c.RotaryDims);
        Near([1, 0.1, 0.01, 0.001], Rope.Frequencies(c).InverseFrequencies);
    }
}
