using Runner.Core.Data.Planted;

namespace Runner.Core.Tests.Planted;

public sealed class PlantedRandomTests
{
    // expected values from an independent Python implementation of SplitMix64 / xoshiro256** / Lemire's bounded draw
    [Fact]
    public void SplitMix64_from_zero_gives_the_published_first_output()
    {
        var state = 0UL;
        Assert.Equal(0xE220A8397B1DCDAFUL, PlantedRandom.SplitMix64(ref state));
    }

    [Theory]
    [InlineData(0UL, 0x99EC5F36CB75F2B4UL, 0xBF6E1F784956452AUL, 0x1A5F849D4933E6E0UL)]
    [InlineData(42UL, 0x15780B2E0C2EC716UL, 0x6104D9866D113A7EUL, 0xAE17533239E499A1UL)]
    public void Xoshiro256_starstar_seeded_by_SplitMix64_gives_the_reference_sequence(ulong seed, ulong a, ulong b, ulong c)
    {
        var random = new PlantedRandom(seed);
        Assert.Equal([a, b, c], [random.NextUInt64(), random.NextUInt64(), random.NextUInt64()]);
    }

    [Fact]
    public void Bounded_integers_match_the_reference_draws()
    {
        var random = new PlantedRandom(7);
        Assert.Equal([7, 2, 8, 9, 9, 8, 0, 1, 4, 1, 5, 7], Enumerable.Range(0, 12).Select(_ => random.NextInt(10)));
        random = new PlantedRandom(7);
        Assert.Equal([2, 0, 2, 2, 2, 2, 0, 0, 1, 0, 1, 2], Enumerable.Range(0, 12).Select(_ => random.NextInt(3)));
        Assert.Equal(0.0025834396857136177, new PlantedRandom(9).NextDouble());
    }

    [Fact]
    public void Inclusive_ranges_reach_both_ends_and_nothing_outside()
    {
        var random = new PlantedRandom(3);
        var seen = Enumerable.Range(0, 2000).Select(_ => random.NextInt(4, 10)).ToHashSet();
        Assert.Equal(Enumerable.Range(4, 7).ToHashSet(), seen);
        Assert.All(Enumerable.Range(0, 2000).Select(_ => random.NextDouble()), d => Assert.InRange(d, 0.0, 0.99999999999));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => random.NextInt(5, 4));
    }
}
