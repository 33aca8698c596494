namespace Runner.Core.Tests;

public sealed class SplitMix64Tests
{
    [Fact]
    public void The_sequence_matches_the_reference_splitmix64_for_seed_zero()
    {
        // Vigna's splitmix64.c with x = 0.
        var random = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, random.NextUInt64());
    }

    [Fact]
    public void Bounded_draws_stay_in_range_and_cover_it_evenly()
    {
        var random = new SplitMix64(42);
        var counts = new int[7];
        for (var i = 0; i < 70_000; i++) counts[random.NextBelow(7)]++;
        // Chi-square with 6 degrees of freedom; 30 is far beyond the 0.9999 quantile (27.9).
        var chi2 = counts.Sum(c => (c - 10_000.0) * (c - 10_000.0) / 10_000.0);
        Assert.True(chi2 < 30, $"chi-square {chi2} over counts {string.Join(", ", counts)}");
        Assert.InRange(new SplitMix64(1).NextDouble(), 0, 1);
    }

    [Fact]
    public void A_shuffle_is_a_permutation_fixed_by_the_seed()
    {
        int[] Shuffled(ulong seed)
        {
            var items = Enumerable.Range(0, 50).ToArray();
            new SplitMix64(seed).Shuffle(items);
            return items;
        }
        Assert.Equal(Enumerable.Range(0, 50), Shuffled(5).Order());
        Assert.Equal(Shuffled(5), Shuffled(5));
        Assert.NotEqual(Shuffled(5), Shuffled(6));
        Assert.NotEqual(Enumerable.Range(0, 50), Shuffled(5));
    }
}
