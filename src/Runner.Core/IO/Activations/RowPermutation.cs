namespace Runner.Core.IO;

/// <summary>
/// The shuffle order of one epoch: a uniformly random permutation of [0, rows) drawn by
/// Fisher-Yates from a SplitMix64 stream keyed by (seed, epoch). Defined here rather than by
/// <see cref="Random"/>, whose seeded sequence .NET does not promise to keep, so a dataset
/// shuffles the same way on every machine and .NET version (resume depends on it).
/// </summary>
internal static class RowPermutation
{
    /// <summary>The permutation of epoch <paramref name="epoch"/>: element i is the row visited i-th.</summary>
    public static int[] Create(long rows, ulong seed, long epoch)
    {
        if (rows > int.MaxValue) throw new RunnerException($"cannot shuffle {rows} rows: the shuffle supports up to {int.MaxValue} rows per dataset");
        var n = (int)rows;
        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        var state = Mix(seed ^ Mix((ulong)epoch ^ 0xD1B54A32D192ED03UL));
        for (var i = n - 1; i > 0; i--)
        {
            var j = (int)Below(ref state, (ulong)i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    // SplitMix64 (Steele, Lea, Flood 2014): the state advances by the golden-ratio increment and is mixed.
    private static ulong Next(ref ulong state) => Mix(state += 0x9E3779B97F4A7C15UL);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, bound) without modulo bias (Lemire 2019, multiply-shift with rejection).
    private static ulong Below(ref ulong state, ulong bound)
    {
        var m = (UInt128)Next(ref state) * bound;
        if ((ulong)m < bound)
        {
            var threshold = (0 - bound) % bound;
            while ((ulong)m < threshold) m = (UInt128)Next(ref state) * bound;
        }
        return (ulong)(m >> 64);
    }
}
