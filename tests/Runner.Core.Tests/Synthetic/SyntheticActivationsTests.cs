using Runner.Core.Synthetic;
using Runner.Torch;

namespace Runner.Core.Tests.Synthetic;

public sealed class SyntheticActivationsTests
{
    private static SyntheticOptions Small => new() { Features = 16, DIn = 8, Frequency = 0.1, Seed = 3 };

    [Fact]
    public void Same_seed_gives_the_same_features_and_rows()
    {
        using var scope = TensorScope.Enter();
        using var a = new SyntheticActivations(Small);
        using var b = new SyntheticActivations(Small);
        Assert.True(a.Features.Equal(b.Features));
        Assert.True(a.Sample(0, 100).Activations.Equal(b.Sample(0, 100).Activations));
        using var c = new SyntheticActivations(Small with { Seed = 4 });
        Assert.False(a.Features.Equal(c.Features));
    }

    [Fact]
    public void Opening_the_stream_at_a_row_gives_the_rows_a_read_from_zero_gives_there()
    {
        using var scope = TensorScope.Enter();
        using var data = new SyntheticActivations(Small);
        var fromZero = data.Read(0, 300).Take(8).ToList();        // 2400 rows: crosses block boundaries mid-batch
        var fromMiddle = data.Read(1500, 300).Take(3).ToList();
        for (var i = 0; i < 3; i++) Assert.True(fromZero[5 + i].Activations.Equal(fromMiddle[i].Activations));
        var rows = data.Sample(1000, 100).Activations;             // spans blocks 0 and 1
        Assert.True(rows.Equal(Tensors.Cat([fromZero[3].Activations.Narrow(0, 100, 200), fromZero[4].Activations]).Narrow(0, 0, 100)));
        foreach (var batch in fromZero.Concat(fromMiddle)) batch.Dispose();
    }

    [Fact]
    public void Rows_are_sparse_combinations_of_unit_features()
    {
        using var scope = TensorScope.Enter();
        using var data = new SyntheticActivations(Small with { Magnitudes = MagnitudeDistribution.Constant, Magnitude = 2 });
        Approx(Enumerable.Repeat(1.0, 16), data.Features.Norm(2, 1));
        var (x, c) = data.Sample(0, 500);
        Assert.Equal([500L, 16], c.Shape);
        Assert.True(x.AllClose(c.Mm(data.Features), 1e-5, 1e-5));
        var values = c.ToArray<float>();
        Assert.All(values, v => Assert.True(v == 0 || v == 2));
    }

    [Fact]
    public void Features_fire_with_their_frequency()
    {
        using var scope = TensorScope.Enter();
        using var data = new SyntheticActivations(Small);
        var rate = data.Sample(0, 20_000).Coefficients.Gt(0).To(DType.Float64).Mean(0).ToArray<double>();
        // 20 000 Bernoulli(0.1) draws: σ = 0.0021; allow 5σ
        Assert.All(rate, r => Assert.Equal(0.1, r, 0.0106));
        Assert.Equal(1.6, data.ExpectedL0, 1e-12);
    }

    [Fact]
    public void Frequency_decay_spreads_frequencies_keeping_their_mean()
    {
        using var data = new SyntheticActivations(Small with { FrequencyDecay = 1 });
        var p = data.Frequencies;
        Assert.Equal(0.1, p.Average(), 1e-12);
        Assert.Equal(2.0, p[0] / p[1], 1e-12);                     // p_i ∝ 1/(i + 1)
        Assert.True(p.Zip(p.Skip(1)).All(t => t.First > t.Second));
    }

    [Theory]
    [InlineData(MagnitudeDistribution.Constant)]
    [InlineData(MagnitudeDistribution.Uniform)]
    [InlineData(MagnitudeDistribution.Exponential)]
    public void Active_magnitudes_have_the_requested_mean(MagnitudeDistribution distribution)
    {
        using var scope = TensorScope.Enter();
        using var data = new SyntheticActivations(Small with { Magnitude = 3, Magnitudes = distribution });
        var c = data.Sample(0, 10_000).Coefficients;
        var active = c.MaskedSelect(c.Gt(0)).To(DType.Float64);
        Assert.Equal(3, active.Mean().ToDouble(), 0.1);             // ~16 000 active values
        var (min, max) = (active.Min().ToDouble(), active.Max().ToDouble());
        if (distribution == MagnitudeDistribution.Uniform) Assert.True(min >= 1.5 && max <= 4.5);
        if (distribution == MagnitudeDistribution.Exponential) Assert.True(min < 0.1 && max > 15);
    }

    [Fact]
    public void Correlation_couples_firing_while_keeping_each_frequency()
    {
        using var scope = TensorScope.Enter();
        double FiringCorrelation(double rho, out double rate)
        {
            using var data = new SyntheticActivations(Small with { Correlation = rho });
            var fires = data.Sample(0, 20_000).Coefficients.Gt(0).To(DType.Float64);
            rate = fires.Mean().ToDouble();
            var a = fires.Select(1, 0);
            var b = fires.Select(1, 1);
            var cov = (a * b).Mean().ToDouble() - a.Mean().ToDouble() * b.Mean().ToDouble();
            return cov / Math.Sqrt(a.Var(correction: 0).ToDouble() * b.Var(correction: 0).ToDouble());
        }
        var independent = FiringCorrelation(0, out var rate0);
        var correlated = FiringCorrelation(0.6, out var rate6);
        Assert.InRange(independent, -0.03, 0.03);
        Assert.InRange(correlated, 0.2, 0.6);                      // binary events of a ρ = 0.6 copula at p = 0.1
        Assert.Equal(0.1, rate0, 0.005);
        Assert.Equal(0.1, rate6, 0.01);
    }

    [Fact]
    public void A_finite_set_repeats_row_for_row()
    {
        using var scope = TensorScope.Enter();
        using var data = new SyntheticActivations(Small with { Rows = 1500 });
        var first = data.Sample(0, 1500).Activations;
        var wrapped = data.Sample(1400, 300).Activations;         // rows 1400..1499, then 0..199
        Assert.True(wrapped.Equal(Tensors.Cat([first.Narrow(0, 1400, 100), first.Narrow(0, 0, 200)])));
    }

    [Fact]
    public void Noise_is_added_on_top_of_the_coefficients()
    {
        using var scope = TensorScope.Enter();
        using var data = new SyntheticActivations(Small with { Noise = 0.5 });
        var (x, c) = data.Sample(0, 4000);
        var residual = x - c.Mm(data.Features);
        Assert.Equal(0.5, residual.Var(correction: 0).Sqrt().ToDouble(), 0.02);
    }

    [Fact]
    public void Invalid_options_name_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => new SyntheticActivations(Small with { Correlation = 1.5 }));
        Assert.Equal("synthetic option Correlation must be in [0, 1], got 1.5", e.Message);
    }

    [Theory]
    [InlineData(0.5, 0)]
    [InlineData(0.975, 1.959963984540054)]
    [InlineData(0.01, -2.3263478740408408)]
    [InlineData(0.999, 3.090232306167813)]
    [InlineData(1e-6, -4.753424308822899)]
    public void Normal_quantile_matches_reference_values(double p, double z)
    {
        Assert.Equal(z, NormalDistribution.Quantile(p), 1e-8 * Math.Max(1, Math.Abs(z)));
    }

    private static void Approx(IEnumerable<double> expected, Tensor actual)
    {
        var values = actual.To(DType.Float64).ToArray<double>();
        Assert.Equal(expected, values, (a, b) => Math.Abs(a - b) < 1e-5);
    }
}
