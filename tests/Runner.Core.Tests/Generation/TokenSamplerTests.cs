using Runner.Core.Generation;
using Runner.Torch;

namespace Runner.Core.Tests.Generation;

public sealed class TokenSamplerTests
{
    private static readonly float[] Row = [1.0f, 2.5f, -0.5f, 0.3f, 2.0f, -1.2f];

    /// <summary>[rows, vocab] seeded Gaussian logits (scaled, so that the distributions are peaked but not degenerate).</summary>
    private static Tensor RandomLogits(int rows, int vocab, ulong seed)
    {
        using var g = new Generator(seed);
        return Tensors.Randn([rows, vocab], g) * 2;
    }

    /// <summary>The same row repeated: [rows, Row.Length].</summary>
    private static Tensor Repeated(int rows) => Tensors.From(Row, 1, Row.Length).Expand(rows, Row.Length).Contiguous();

    private static double[] Softmax(IEnumerable<double> z)
    {
        var max = z.Max();
        var e = z.Select(v => Math.Exp(v - max)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    /// <summary>Pearson's chi-square of observed ids against expected probabilities (zero-probability ids must not occur).</summary>
    private static double ChiSquare(int[] ids, double[] p)
    {
        var counts = new int[p.Length];
        foreach (var id in ids) counts[id]++;
        double chi2 = 0;
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == 0)
            {
                Assert.Equal(0, counts[i]);
                continue;
            }
            var expected = p[i] * ids.Length;
            chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
        }
        return chi2;
    }

    [Fact]
    public void Greedy_takes_the_argmax_and_the_lowest_id_on_ties()
    {
        using var scope = TensorScope.Enter();
        var logits = RandomLogits(20, 50, 1);
        var sampler = new TokenSampler(new SamplingOptions { Greedy = true, Temperature = 0.3 }, 0);
        Assert.Equal(logits.Argmax(1).ToArray<long>().Select(i => (int)i), sampler.Next(logits).Ids);
        var tied = Tensors.From(new float[,] { { 0, 3, 1, 3 }, { 7, 7, 7, 7 } });
        Assert.Equal([1, 0], sampler.Next(tied).Ids);
    }

    [Fact]
    public void Top_k_one_and_a_tiny_top_p_are_greedy()
    {
        using var scope = TensorScope.Enter();
        var logits = RandomLogits(200, 40, 2);
        var greedy = new TokenSampler(new SamplingOptions { Greedy = true }, 0).Next(logits).Ids;
        Assert.Equal(greedy, new TokenSampler(new SamplingOptions { TopK = 1, Temperature = 2 }, 5).Next(logits).Ids);
        Assert.Equal(greedy, new TokenSampler(new SamplingOptions { TopP = 1e-9, Temperature = 2 }, 6).Next(logits).Ids);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(0.6)]
    [InlineData(2.5)]
    public void Draws_follow_softmax_of_logits_over_temperature(double temperature)
    {
        using var scope = TensorScope.Enter();
        const int draws = 30_000;
        var ids = new TokenSampler(new SamplingOptions { Temperature = temperature }, 17).Next(Repeated(draws)).Ids;
        var p = Softmax(Row.Select(v => v / temperature));
        // 5 degrees of freedom: the 0.99999 quantile is 30.9; a wrong temperature gives hundreds.
        Assert.True(ChiSquare(ids, p) < 31, $"chi-square {ChiSquare(ids, p)}");
        var wrong = Softmax(Row.Select(v => v / (temperature * 1.25)));
        Assert.True(ChiSquare(ids, wrong) > 60, "the bound must be able to fail");
    }

    [Fact]
    public void Top_k_and_top_p_draw_from_the_renormalized_kept_set()
    {
        using var scope = TensorScope.Enter();
        const int draws = 20_000;
        var p = Softmax(Row.Select(v => (double)v));              // ids by probability: 1, 4, 0, 3, 2, 5
        var topK = new TokenSampler(new SamplingOptions { TopK = 3 }, 3).Next(Repeated(draws)).Ids;
        var keptK = p.Select((v, i) => i is 1 or 4 or 0 ? v : 0).ToArray();
        Assert.True(ChiSquare(topK, keptK.Select(v => v / keptK.Sum()).ToArray()) < 25);

        // A top_p between the mass of id 1 alone and that of ids 1 and 4: exactly those two remain.
        var two = p[1] + p[4];
        var topP = new TokenSampler(new SamplingOptions { TopP = (two + p[1]) / 2 }, 4).Next(Repeated(draws)).Ids;
        Assert.True((two + p[1]) / 2 > p[1] && (two + p[1]) / 2 < two);
        var keptP = p.Select((v, i) => i is 1 or 4 ? v / two : 0).ToArray();
        Assert.True(ChiSquare(topP, keptP) < 25);
    }

    [Fact]
    public void The_same_seed_gives_the_same_ids_and_rows_are_independent_draws()
    {
        using var scope = TensorScope.Enter();
        var logits = RandomLogits(64, 30, 3);
        var options = new SamplingOptions { Temperature = 1.3, TopK = 20, TopP = 0.95 };
        var (a, b) = (new TokenSampler(options, 99), new TokenSampler(options, 99));
        var first = a.Next(logits).Ids;
        Assert.Equal(first, b.Next(logits).Ids);
        Assert.Equal(a.Next(logits).Ids, b.Next(logits).Ids);           // the state advanced alike
        Assert.NotEqual(first, new TokenSampler(options, 100).Next(logits).Ids);
        Assert.NotEqual(first, a.Next(logits).Ids);                     // a later call draws afresh
    }

    [Fact]
    public void Log_probs_are_log_softmax_of_the_raw_logits_whatever_the_sampling()
    {
        using var scope = TensorScope.Enter();
        var logits = RandomLogits(32, 25, 4);
        var logSoftmax = Functional.LogSoftmax(logits, 1);
        foreach (var options in new[] { new SamplingOptions { Greedy = true }, new SamplingOptions { Temperature = 0.5, TopK = 5, TopP = 0.8 } })
        {
            var (ids, logProbs) = new TokenSampler(options, 8).Next(logits);
            var expected = logSoftmax.Gather(1, Tensors.From(ids.Select(i => (long)i).ToArray()).Unsqueeze(1)).Squeeze(1).ToArray<float>();
            for (var r = 0; r < ids.Length; r++) Assert.Equal(expected[r], logProbs[r], 5);
        }
    }

    [Fact]
    public void Masked_logits_are_never_drawn_and_bad_rows_are_errors()
    {
        using var scope = TensorScope.Enter();
        var inf = float.NegativeInfinity;
        var logits = Tensors.From(new float[,] { { inf, 0, inf, 1 } }).Expand(500, 4).Contiguous();
        var ids = new TokenSampler(new SamplingOptions { Temperature = 3 }, 1).Next(logits).Ids;
        Assert.All(ids, id => Assert.True(id is 1 or 3));
        var sampler = new TokenSampler(new SamplingOptions(), 1);
        Assert.Contains("row 1 holds NaN", Assert.Throws<RunnerException>(() => sampler.Next(Tensors.From(new float[,] { { 0, 1 }, { float.NaN, 1 } }))).Message);
        Assert.Contains("−∞ everywhere", Assert.Throws<RunnerException>(() => sampler.Next(Tensors.From(new float[,] { { inf, inf } }))).Message);
        Assert.Throws<ArgumentException>(() => sampler.Next(Tensors.From(new float[] { 1, 2 })));
    }

    [Theory]
    [InlineData(0.0, null, null, "generate.temperature")]
    [InlineData(double.NaN, null, null, "generate.temperature")]
    [InlineData(1.0, 0, null, "generate.top_k")]
    [InlineData(1.0, null, 0.0, "generate.top_p")]
    [InlineData(1.0, null, 1.5, "generate.top_p")]
    public void Impossible_settings_are_errors_naming_the_key(double temperature, int? topK, double? topP, string key)
    {
        var e = Assert.Throws<RunnerException>(() => new TokenSampler(new SamplingOptions { Temperature = temperature, TopK = topK, TopP = topP }, 0));
        Assert.StartsWith(key, e.Message);
    }
}
