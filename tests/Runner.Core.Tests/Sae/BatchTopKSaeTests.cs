using Runner.Core.Sae;
using Runner.Torch;
using static Runner.Core.Tests.Sae.SaeTestKit;

namespace Runner.Core.Tests.Sae;

public sealed class BatchTopKSaeTests
{
    private static BatchTopKSae Make() => (BatchTopKSae)Create(Options(SaeKind.BatchTopK, k: 5));

    // The smallest positive kept value: the k·B largest of ReLU(h) over the batch.
    private static double SmallestKept(ISparseAutoencoder sae, Tensor x)
    {
        using var scope = TensorScope.Enter();
        var h = Functional.Linear(x - Param(sae, "b_dec").Detach(), Param(sae, "W_enc").Detach(), Param(sae, "b_enc").Detach());
        var (kept, _) = h.Relu().Flatten().TopK(sae.Options.K * x.Size(0));
        return kept.MaskedSelect(kept.Gt(0)).Min().ToDouble();
    }

    [Fact]
    public void Training_keeps_k_times_batch_activations_across_the_batch()
    {
        using var scope = TensorScope.Enter();
        using var sae = Make();
        var x = Inputs(6);
        var forward = sae.TrainingForward(x, new SaeStepContext());
        Assert.Equal(5, forward.L0.ToDouble(), 12);
        Assert.True(forward.Fired.To(DType.Int64).Sum().ToInt64() > 5);          // rows pick different latents
    }

    [Fact]
    public void Threshold_tracks_the_smallest_kept_activation_with_rate_one_hundredth()
    {
        using var scope = TensorScope.Enter();
        using var sae = Make();
        Assert.Equal(0, sae.Threshold);
        var (x1, x2) = (Inputs(6, seed: 1), Inputs(6, seed: 2));
        var m1 = SmallestKept(sae, x1);
        sae.TrainingForward(x1, new SaeStepContext());
        Assert.Equal(0.01 * m1, sae.Threshold, 7);
        var m2 = SmallestKept(sae, x2);
        sae.TrainingForward(x2, new SaeStepContext());
        Assert.Equal(0.99 * 0.01 * m1 + 0.01 * m2, sae.Threshold, 7);
        using (TorchRuntime.NoGrad()) sae.TrainingForward(x1, new SaeStepContext());
        Assert.Equal(0.99 * 0.01 * m1 + 0.01 * m2, sae.Threshold, 7);             // evaluation does not move θ
        Assert.Equal("threshold", sae.Buffers.Single().Key);
    }

    [Fact]
    public void Exports_as_jumprelu_that_encodes_and_decodes_like_the_threshold()
    {
        using var scope = TensorScope.Enter();
        using var sae = Make();
        for (var i = 0; i < 30; i++) sae.TrainingForward(Inputs(6, seed: (ulong)i), new SaeStepContext());
        sae.InputScale = 1.7;
        var exported = sae.ExportSaeLens();
        Assert.Equal("jumprelu", sae.SaeLensArchitecture);
        Close(Enumerable.Repeat(sae.Threshold, DSae).ToArray(), Values(exported["threshold"]), 1e-6, "threshold");
        using var loaded = SaeFactory.FromSaeLens(sae.SaeLensArchitecture, null, exported);
        Assert.IsType<JumpReluSae>(loaded);
        var raw = Inputs(9, seed: 40, dtype: DType.Float32);
        var f = sae.Encode(raw * 1.7);
        Assert.True(f.Gt(0).Any().ToBoolean() && !f.Gt(0).All().ToBoolean());
        Close(f, loaded.Encode(raw), 1e-5, "f");
        Close(sae.Decode(f) / 1.7, loaded.Decode(f), 1e-5, "x̂");
    }

    [Theory]
    [InlineData("W_enc")]
    [InlineData("b_enc")]
    [InlineData("W_dec")]
    [InlineData("b_dec")]
    public void Gradients_match_finite_differences(string name)
    {
        using var scope = TensorScope.Enter();
        using var sae = Make();
        CheckFiniteDifferences(sae, Inputs(), name);
    }
}
