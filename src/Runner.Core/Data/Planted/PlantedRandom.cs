namespace Runner.Core.Data.Planted;

/// <summary>
/// The planted corpus's own seeded generator, so a seed gives the same corpus on every machine and .NET
/// version (System.Random's sequence is not a stable contract). xoshiro256** 1.0 (Blackman and Vigna,
/// "Scrambled linear pseudorandom number generators", 2018), its 256-bit state filled from the seed by
/// four SplitMix64 outputs as the authors recommend. Bounded integers use Lemire's multiply-and-reject
/// method (unbiased); doubles take the top 53 bits. Every step is integer arithmetic, so the sequence is exact.
/// </summary>
public sealed class PlantedRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator seeded with <paramref name="seed"/> (any value, 0 included).</summary>
    public PlantedRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>One SplitMix64 step (Steele, Lea and Flood 2014): advances <paramref name="state"/> and returns the next output.</summary>
    public static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits (xoshiro256**).</summary>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>), <paramref name="n"/> ≥ 1.</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        var bound = (ulong)n;
        var high = Math.BigMul(NextUInt64(), bound, out var low);
        if (low < bound)
        {
            // Lemire 2019: reject the low products that would bias the result
            var threshold = (0UL - bound) % bound;
            while (low < threshold) high = Math.BigMul(NextUInt64(), bound, out low);
        }
        return (int)high;
    }

    /// <summary>A uniform integer in [<paramref name="min"/>, <paramref name="max"/>] (both included).</summary>
    public int NextInt(int min, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, min);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((long)max - min, int.MaxValue - 1L, nameof(max));
        return min + NextInt(max - min + 1);
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));
}
