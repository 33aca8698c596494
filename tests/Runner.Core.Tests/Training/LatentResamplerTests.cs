using Runner.Core.Tests.TestKit;
using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Core.Tests.Training;

/// <summary>
/// d_in 3, d_sae 3: latents 0 and 1 share the decoder direction e0 (a near-duplicate pair; latent 0 is encoded
/// twice as strongly, so it contributes more), latent 2 points along e1. Rows along e2 are not reconstructed at
/// all, so every resampled latent must restart along e2, the only direction with loss.
/// </summary>
public sealed class LatentResamplerTests
{
    private static TestReluSae Sae() => new(
        wEnc: new double[,] { { 2, 1, 0 }, { 0, 0, 1 }, { 0, 0, 0 } },
        bEnc: [0, 0, 0],
        wDec: new double[,] { { 0.3, 0, 0 }, { 0.3, 0, 0 }, { 0, 1, 0 } },
        bDec: [0, 0, 0]);

    private static readonly double[,] X = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 2 }, { 0, 0, 3 } };

    private static (ResampleResult Result, float[] WDec, float[] WEnc, float[] BEnc, float[] ExpAvg) Run(TestReluSae sae, bool[] dead, ResampleOptions options)
    {
        using var scope = TensorScope.Enter();
        var p = sae.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value);
        using var adam = new Adam(p.Values);
        foreach (var t in p.Values) t.Grad = t.OnesLike();
        adam.Step();                                                              // moments are now non-zero everywhere
        using var generator = new Generator(3);
        var result = LatentResampler.Resample(sae, Tensors.From(X).To(DType.Float32), Tensors.From(dead), options, generator, adam);
        return (result, p["W_dec"].ToArray<float>(), p["W_enc"].ToArray<float>(), p["b_enc"].ToArray<float>(),
            adam.StateOf(p["W_dec"]).ExpAvg!.ToArray<float>());
    }

    [Fact]
    public void The_weaker_latent_of_a_near_duplicate_pair_restarts_along_the_worst_reconstructed_input()
    {
        using var sae = Sae();
        var (result, wDec, wEnc, bEnc, expAvg) = Run(sae, [false, false, false], new ResampleOptions { EverySteps = 1, Dead = false, DuplicateCosine = 0.95 });

        Assert.Empty(result.Dead);
        Assert.Equal([1], result.Duplicates);
        // mean live decoder norm (latents 0 and 2, after Adam's step of −lr·sign) times e2; encoder 0.2 × mean live encoder norm
        // (b_dec moved by Adam's one step of 1e-3, so the direction is e2 to within 1e-3)
        AlongE2(wDec[3..6], (0.3 + 1) / 2);
        AlongE2(wEnc[3..6], 0.2 * (Math.Sqrt(2 * 2 + 0) + 1) / 2);
        Assert.Equal(0f, bEnc[1]);
        Assert.Equal([0f, 0f, 0f], expAvg[3..6]);                                // Adam's moments of the new row reset
        Assert.All(expAvg[..3].Concat(expAvg[6..]), m => Assert.NotEqual(0f, m));  // the others untouched
    }

    [Fact]
    public void Dead_latents_are_resampled_and_live_distinct_ones_are_left_alone()
    {
        using var sae = Sae();
        var (result, wDec, _, _, _) = Run(sae, [false, false, true], new ResampleOptions { EverySteps = 1, Dead = true });

        Assert.Equal([2], result.Dead);
        Assert.Empty(result.Duplicates);
        Assert.InRange(wDec[0], 0.29f, 0.31f);                                    // latents 0 and 1 (Adam's step aside) as they were:
        Assert.InRange(wDec[3], 0.29f, 0.31f);                                    // no duplicate check was asked for
        AlongE2(wDec[6..9], 0.3);                                                 // mean live decoder norm: latents 0 and 1
    }

    private static void AlongE2(float[] row, double norm)
    {
        Assert.InRange(Math.Abs(row[0]), 0, 2e-3 * norm);
        Assert.InRange(Math.Abs(row[1]), 0, 2e-3 * norm);
        Assert.InRange(row[2], 0.98 * norm, 1.02 * norm);
    }

    [Fact]
    public void Resampling_is_due_every_interval_until_the_stop_fraction()
    {
        var options = new ResampleOptions { EverySteps = 10, StopFraction = 0.5 };
        Assert.Equal([10L, 20, 30, 40, 50], Enumerable.Range(1, 100).Select(s => (long)s).Where(s => options.DueAfter(s, 100)));
    }
}
