using System.Text.Json.Nodes;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Runs;

namespace Runner.Pipeline.Tests.Metrics;

public sealed class SeedBandTests
{
    [Fact]
    public void A_band_has_the_mean_the_sample_standard_deviation_the_range_and_a_tolerance_of_four_sigma_above_its_floor()
    {
        var band = SeedBand.From([1.0, 2.0, 3.0, 4.0, 5.0], floor: 0.5);
        Assert.Equal(3.0, band.Mean);
        Assert.Equal(Math.Sqrt(2.5), band.Std, 12);   // Σ(x − 3)² = 10 over N − 1 = 4
        Assert.Equal((1.0, 5.0, 5), (band.Min, band.Max, band.N));
        Assert.Equal(4 * Math.Sqrt(2.5), band.Tolerance, 12);
        Assert.Equal(2.0, SeedBand.From([1.0, 2.0, 3.0], floor: 0, sigmas: 2).Tolerance, 12);
    }

    [Fact]
    public void A_metric_that_did_not_move_over_the_seeds_gets_its_floor_not_an_exact_match()
    {
        var band = SeedBand.From([0.9, 0.9, 0.9], floor: 0.005);
        Assert.Equal(0, band.Std);
        Assert.Equal(0.005, band.Tolerance);
        Assert.Null(band.SigmasAway(0.91));
        Assert.True(band.WithinNoise(0.004));
        Assert.False(band.WithinNoise(-0.006));
    }

    [Fact]
    public void The_tolerance_for_a_mean_of_n_seeds_shrinks_with_the_noise_of_that_mean_and_of_the_bands_own_mean_down_to_the_floor()
    {
        var band = SeedBand.From([0.0, 1.0, 2.0], floor: 0.3);   // σ = 1, tolerance 4, N = 3
        Assert.Equal(4, band.ToleranceFor(1), 12);
        Assert.Equal(4 * Math.Sqrt((1 / 4.0 + 1 / 3.0) / (1 + 1 / 3.0)), band.ToleranceFor(4), 12);
        // Many seeds: what is left is the uncertainty of the band's own mean of 3 seeds, 4σ·√(1/3 / (4/3)) = 2σ.
        Assert.Equal(2, band.ToleranceFor(1_000_000), 3);
        Assert.Equal(0.3, SeedBand.From([0.0, 0.01, 0.02], floor: 0.3).ToleranceFor(400), 12);
        Assert.Equal(2.5, band.SigmasAway(3.5));
    }

    [Fact]
    public void One_value_is_not_a_band()
    {
        Assert.Throws<ArgumentException>(() => SeedBand.From([1.0], floor: 0));
    }

    [Fact]
    public void Runs_that_differ_only_in_seed_form_a_group_and_runs_of_another_configuration_do_not_join_it()
    {
        RunRecord Run(string name, long seed, long k, double fvu) => new()
        {
            Experiment = "e", RunName = name, Point = 0, SpecHash = "h",
            Varied = [KeyValuePair.Create("sae.k", (JsonNode?)JsonValue.Create(k)), KeyValuePair.Create("seed", (JsonNode?)JsonValue.Create(seed))],
            Stages = [new RunStage { Name = "evaluate", Key = "k", Status = StageStatus.Computed, Seconds = 1, Entry = "", Metrics = new Dictionary<string, double> { ["fvu"] = fvu } }],
        };
        var runs = new[] { Run("k=4,seed=0", 0, 4, 0.10), Run("k=4,seed=1", 1, 4, 0.12), Run("k=4,seed=2", 2, 4, 0.11), Run("k=8,seed=0", 0, 8, 0.05) };
        var noise = SeedNoise.FromSiblings(runs);
        var group = Assert.Single(noise.Groups);
        Assert.Equal(0.11, group.Value["evaluate.fvu"].Mean, 12);
        Assert.Equal("within seed noise", noise.Verdict(runs[0], runs[1], "evaluate.fvu"));
        Assert.StartsWith("beyond seed noise (Δ = -", noise.Verdict(runs[0], runs[3], "evaluate.fvu"));
        Assert.Null(noise.Verdict(runs[3], runs[0], "evaluate.fvu"));   // k=8 has one seed: no band
        Assert.Equal("k=4", SeedNoise.NameWithoutSeed("k=4,seed=1"));
        Assert.Equal("", SeedNoise.NameWithoutSeed("seed=1"));
    }
}
