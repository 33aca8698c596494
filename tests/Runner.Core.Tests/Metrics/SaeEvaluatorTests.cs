using Runner.Core.Data;
using Runner.Core.Metrics;
using Runner.Core.Tests.TestKit;
using Runner.Torch;

namespace Runner.Core.Tests.Metrics;

/// <summary>
/// Every metric on a hand-computed example: d_in 2, d_sae 3, f = ReLU(x W_enc) with W_enc = [[1,0,0],[0,1,0]]
/// (latent 2 never fires), x̂ = f W_dec with decoder rows (0.5, 0), (0, 1), (3, 1), on four tokens:
/// <code>
/// x        f          x̂       ‖x−x̂‖²  ‖x‖²  ‖x̂‖²  ⟨x,x̂⟩
/// (2, 1)   (2, 1, 0)  (1, 1)   1       5     2     3
/// (−1, 3)  (0, 3, 0)  (0, 3)   1       10    9     9
/// (4, 0)   (4, 0, 0)  (2, 0)   4       16    4     8
/// (0, 2)   (0, 2, 0)  (0, 2)   0       4     4     4
/// </code>
/// E_t x = (1.25, 1.5), so ‖E_t x‖² = 3.8125 and E_t‖x‖² − ‖E_t x‖² = 8.75 − 3.8125 = 4.9375.
/// </summary>
public sealed class SaeEvaluatorTests
{
    private static readonly double[,] X = { { 2, 1 }, { -1, 3 }, { 4, 0 }, { 0, 2 } };

    private static TestReluSae Sae() => new(
        wEnc: new double[,] { { 1, 0, 0 }, { 0, 1, 0 } },
        bEnc: [0, 0, 0],
        wDec: new double[,] { { 0.5, 0 }, { 0, 1 }, { 3, 1 } },
        bDec: [0, 0]);

    private static SaeMetrics Evaluate(TestReluSae sae, params int[] batchSizes)
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(X).To(DType.Float32);
        using var evaluator = new SaeEvaluator(sae, Device.Cpu);
        var start = 0;
        foreach (var size in batchSizes.Length == 0 ? [4] : batchSizes)
        {
            evaluator.Add(x.Narrow(0, start, size));
            start += size;
        }
        return evaluator.Compute();
    }

    private const double Tol = 1e-6;

    [Fact]
    public void Reconstruction_metrics_match_hand_computed_values()
    {
        using var sae = Sae();
        var m = Evaluate(sae);
        Assert.Equal(4, m.Tokens);
        Assert.Equal((1 + 1 + 4 + 0) / 4.0, m.Mse, Tol);                                 // E_t Σ_d
        Assert.Equal(1.5 / 8.75, m.NormalizedMse, Tol);
        Assert.Equal(1 - 1.5 / 4.9375, m.ExplainedVariance, Tol);
        Assert.Equal(1.5 / 4.9375, m.Fvu, Tol);
        Assert.Equal((3 / Math.Sqrt(10) + 9 / Math.Sqrt(90) + 8 / 8.0 + 1) / 4, m.CosineSimilarity, Tol);
    }

    [Fact]
    public void Legacy_explained_variance_averages_per_token_ratios_against_the_batch_mean()
    {
        using var sae = Sae();
        // ‖x − (1.25, 1.5)‖² per token: 0.8125, 7.3125, 9.8125, 1.8125
        var expected = 1 - (1 / 0.8125 + 1 / 7.3125 + 4 / 9.8125 + 0 / 1.8125) / 4;
        Assert.Equal(expected, Evaluate(sae).ExplainedVarianceLegacy, Tol);
    }

    [Fact]
    public void Explained_variance_pools_the_whole_set_so_batching_does_not_change_it()
    {
        using var sae = Sae();
        var whole = Evaluate(sae);
        var split = Evaluate(sae, 1, 3);
        Assert.Equal(whole.ExplainedVariance, split.ExplainedVariance, 1e-12);
        Assert.Equal(whole.Mse, split.Mse, 1e-12);
        Assert.NotEqual(whole.ExplainedVarianceLegacy, split.ExplainedVarianceLegacy);   // the legacy formula depends on batches
    }

    [Fact]
    public void Sparsity_metrics_match_hand_computed_values()
    {
        using var sae = Sae();
        var m = Evaluate(sae);
        Assert.Equal((2 + 1 + 1 + 1) / 4.0, m.L0, Tol);
        Assert.Equal((3 + 3 + 4 + 2) / 4.0, m.L1, Tol);
        Assert.Equal([0.5, 0.75, 0], m.Density);
        Assert.Equal(1 / 3.0, m.DeadFraction, Tol);
        Assert.Equal(2 / 3.0, m.DenseFraction, Tol);
        Assert.Equal(2 / 3.0, m.FreqOver1Percent, Tol);
        Assert.Equal((Math.Log10(0.5 + 1e-10) + Math.Log10(0.75 + 1e-10) - 10) / 3, m.MeanLog10Density, Tol);
    }

    [Fact]
    public void Dense_thresholds_are_strict_and_separate_ten_and_one_percent()
    {
        // 20 tokens: latent 0 fires on 2 (p = 0.1: not dense), latent 1 on 3 (0.15: dense), latent 2 on 1 (0.05: over 1 %)
        using var scope = TensorScope.Enter();
        using var sae = new TestReluSae(new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }, [0, 0, 0], new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }, [0, 0, 0]);
        var rows = new double[20, 3];
        rows[0, 0] = rows[1, 0] = 1;
        rows[2, 1] = rows[3, 1] = rows[4, 1] = 1;
        rows[5, 2] = 1;
        using var evaluator = new SaeEvaluator(sae, Device.Cpu);
        evaluator.Add(Tensors.From(rows).To(DType.Float32));
        var m = evaluator.Compute();
        Assert.Equal([0.1, 0.15, 0.05], m.Density.Select(d => Math.Round(d, 12)));
        Assert.Equal(1 / 3.0, m.DenseFraction, Tol);
        Assert.Equal(1.0, m.FreqOver1Percent, Tol);
        Assert.Equal(0, m.DeadFraction);
    }

    [Fact]
    public void Shrinkage_metrics_match_hand_computed_values()
    {
        using var sae = Sae();
        var m = Evaluate(sae);
        Assert.Equal((Math.Sqrt(2) / Math.Sqrt(5) + 3 / Math.Sqrt(10) + 2 / 4.0 + 2 / 2.0) / 4, m.L2Ratio, Tol);
        Assert.Equal((2 + 9 + 4 + 4) / (3.0 + 9 + 8 + 4), m.RelativeReconstructionBias, Tol);
    }

    [Fact]
    public void L2_ratio_guards_near_zero_inputs_as_SAELens_does()
    {
        // x = 0 reconstructs to b_dec = (3, 4): the ratio uses ‖x‖ := 1, so it is ‖x̂‖ = 5
        using var scope = TensorScope.Enter();
        using var sae = new TestReluSae(new double[,] { { 1 }, { 0 } }, [-10], new double[,] { { 1, 0 } }, [3, 4]);
        using var evaluator = new SaeEvaluator(sae, Device.Cpu);
        evaluator.Add(Tensors.Zeros([1, 2]));
        Assert.Equal(5, evaluator.Compute(decoderCosine: false).L2Ratio, Tol);
    }

    [Fact]
    public void Per_feature_activation_statistics_match_hand_computed_values()
    {
        using var sae = Sae();
        var m = Evaluate(sae, 2, 2);
        Assert.Equal([4.0, 3, 0], m.MaxActivation);
        Assert.Equal([(2 + 4) / 2.0, (1 + 3 + 2) / 3.0, 0], m.MeanActivationWhenActive);
        Assert.Equal([(2 + 4) / 4.0, (1 + 3 + 2) / 4.0, 0], m.MeanActivation);
    }

    [Fact]
    public void Max_decoder_cosine_excludes_the_feature_itself()
    {
        using var sae = Sae();
        var m = Evaluate(sae);
        // unit decoder rows (1, 0), (0, 1), (3, 1)/√10: cos(0,1) = 0, cos(0,2) = 3/√10, cos(1,2) = 1/√10
        var c = 3 / Math.Sqrt(10);
        Approx(new[] { c, 1 / Math.Sqrt(10), c }, m.MaxDecoderCosine);
        Assert.Equal((2 * c + 1 / Math.Sqrt(10)) / 3, m.MeanMaxDecoderCosine, Tol);
    }

    [Fact]
    public void Decoder_pairs_above_0_95_count_near_duplicates_among_live_features_only()
    {
        // decoder rows (1, 0), (1, 0.1), (0, 1), (1, 0.05): cos(0,1) = 1/√1.01 ≈ 0.995, cos(0,3) ≈ 0.9988,
        // cos(1,3) ≈ 0.9988; W_enc fires latents 0 and 1 on x_0 > 0, latent 2 on x_1 > 0, latent 3 never.
        using var sae = new TestReluSae(
            wEnc: new double[,] { { 1, 1, 0, 0 }, { 0, 0, 1, 0 } },
            bEnc: [0, 0, 0, 0],
            wDec: new double[,] { { 1, 0 }, { 1, 0.1 }, { 0, 1 }, { 1, 0.05 } },
            bDec: [0, 0]);
        var m = Evaluate(sae);
        Assert.Equal(0.25, m.DeadFraction, Tol);
        Assert.Equal(1, m.DecoderPairsAboveThreshold);           // (0, 1); the pairs with dead latent 3 do not count
        Assert.Equal(1.0, m.Scalars()["decoder_pairs_above_0_95"]);
        Assert.Equal(0, Evaluate(Sae()).DecoderPairsAboveThreshold);
    }

    [Fact]
    public void Reconstruction_metrics_are_in_raw_space_whatever_the_input_scale()
    {
        // with zero biases this SAE is scale-equivariant: Decode(Encode(s·x)) / s = x̂, while f scales by s
        using var sae = Sae();
        var raw = Evaluate(sae);
        sae.InputScale = 2;
        var scaled = Evaluate(sae);
        Assert.Equal(raw.Mse, scaled.Mse, Tol);
        Assert.Equal(raw.ExplainedVariance, scaled.ExplainedVariance, Tol);
        Assert.Equal(raw.L2Ratio, scaled.L2Ratio, Tol);
        Assert.Equal(raw.MaxActivation.Select(a => 2 * a), scaled.MaxActivation);   // latents are Encode(s·x): the exported SAE's
        Assert.Equal(raw.Density, scaled.Density);
    }

    [Fact]
    public void Density_histogram_bins_log10_density_from_minus_ten_to_zero()
    {
        using var sae = Sae();
        var h = Evaluate(sae).DensityHistogram;
        Assert.Equal(51, h.Edges.Length);
        Assert.Equal(-10, h.Edges[0]);
        Assert.Equal(-9.8, h.Edges[1]);
        Assert.Equal(0, h.Edges[^1]);
        var expected = new long[50];
        expected[0] = 1;      // dead: log10(1e-10) = −10
        expected[48] = 1;     // log10(0.5) = −0.301 in [−0.4, −0.2)
        expected[49] = 1;     // log10(0.75) = −0.125 in [−0.2, 0]
        Assert.Equal(expected, h.Counts);
    }

    [Fact]
    public void Density_histogram_puts_values_on_an_edge_in_the_bin_it_opens_and_one_in_the_last_bin()
    {
        var h = DensityHistogram.Of([0.01, 1.0, 1e-5]);
        Assert.Equal(1, h.Counts[40]);   // log10(0.01) = −2 opens bin 40
        Assert.Equal(1, h.Counts[49]);   // density 1
        Assert.Equal(1, h.Counts[25]);   // log10(1e-5) = −5 opens bin 25
        Assert.Equal(3, h.Counts.Sum());
    }

    [Fact]
    public void Scalars_carry_the_convention_names()
    {
        using var sae = Sae();
        var names = Evaluate(sae).Scalars().Keys.Order(StringComparer.Ordinal);
        Assert.Equal(
        [
            "cosine_similarity", "dead_fraction", "decoder_pairs_above_0_95", "dense_fraction", "explained_variance", "explained_variance_legacy",
            "freq_over_1_percent", "fvu", "l0", "l1", "l2_ratio", "mean_log10_density", "mean_max_decoder_cosine",
            "mse", "normalized_mse", "relative_reconstruction_bias", "tokens",
        ], names);
    }

    [Fact]
    public void AddAll_stops_at_max_tokens_and_disposes_every_batch()
    {
        using var scope = TensorScope.Enter();
        using var sae = Sae();
        var x = Tensors.From(X).To(DType.Float32);
        var batches = Enumerable.Range(0, 3).Select(_ => new ActivationBatch(x.Clone())).ToList();
        using var evaluator = new SaeEvaluator(sae, Device.Cpu);
        evaluator.AddAll(batches, maxTokens: 6, TestContext.Current.CancellationToken);
        Assert.Equal(6, evaluator.Tokens);
        Assert.True(batches[0].Activations.IsDisposed && batches[1].Activations.IsDisposed);
        Assert.False(batches[2].Activations.IsDisposed);            // never taken from the enumerable
        batches[2].Dispose();
    }

    [Fact]
    public void Batch_of_the_wrong_width_is_an_error()
    {
        using var scope = TensorScope.Enter();
        using var sae = Sae();
        using var evaluator = new SaeEvaluator(sae, Device.Cpu);
        var e = Assert.Throws<RunnerException>(() => evaluator.Add(Tensors.Zeros([4, 3])));
        Assert.Equal("evaluation batch has shape [4, 3], but the SAE expects [B, 2]", e.Message);
    }

    private static void Approx(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i], Tol);
    }
}
