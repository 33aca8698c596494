using Runner.Core.Sae;
using Runner.Torch;
using static Runner.Core.Tests.Sae.SaeTestKit;

namespace Runner.Core.Tests.Sae;

public sealed class BatchTopKSaeTests
{
    private static BatchTopKSae Make(SaeKernels kernels = SaeKernels.Auto) => (BatchTopKSae)Create(Options(SaeKind.BatchTopK, k: 5, kernels: kernels));

    // The smallest positive kept value: the k·B largest of ReLU(h) over the batch.
    private static double SmallestKept(ISparseAutoencoder sae, Tensor x)
    {
        using var scope = TensorScope.Enter();
        var h = Functional.Linear(x - Param(sae, "b_dec").Detach(), Param(sae, "W_enc").Detach(), Param(sae, "b_enc").Detach());
        var (kept, _) = h.Relu().Flatten().TopK(sae.Options.K * x.Size(0));
        return kept.MaskedSelect(kept.Gt(0)).Min().ToDouble();
    }

    [Fact]
    public void Loss_matches_the_hand_computed_example()
    {
        // The hand example of ReluSaeTests (h = [1, 1, 0.5] and [0, 3, 2.5]) with k = 1, B = 2: the batch
        // keeps its 2 largest, 3 and 2.5, both in row 2. Row 1 decodes to b_dec = [0.5, −0.5]:
        // Σ_d err² = 2; row 2 as in ReluSaeTests: 18.5 -> mse 10.25. θ ← 0.99·0 + 0.01·2.5.
        using var scope = TensorScope.Enter();
        using var g = new Generator(0);
        using var sae = (BatchTopKSae)SaeFactory.Create(new SaeOptions { Kind = SaeKind.BatchTopK, DIn = 2, DSae = 3, K = 1 }, g, Device.Cpu, DType.Float64);
        var hand = ReluSaeTests.HandTensors();
        using (TorchRuntime.NoGrad())
        {
            Param(sae, "W_enc").Copy_(hand["W_enc"].T);                          // internal layout [d_sae, d_in]
            foreach (var name in new[] { "b_enc", "W_dec", "b_dec" }) Param(sae, name).Copy_(hand[name]);
        }
        var forward = sae.TrainingForward(ReluSaeTests.HandInputs(), new SaeStepContext());
        Assert.Equal(10.25, forward.Loss.ToDouble(), 12);
        Assert.Equal(1, forward.L0.ToDouble(), 12);
        Assert.Equal([false, true, true], forward.Fired.ToArray<bool>());
        Assert.Equal(0.025, sae.Threshold, 7);
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
    [InlineData(SaeKernels.Dense, "W_enc")]
    [InlineData(SaeKernels.Dense, "b_enc")]
    [InlineData(SaeKernels.Dense, "W_dec")]
    [InlineData(SaeKernels.Dense, "b_dec")]
    [InlineData(SaeKernels.Sparse, "W_enc")]
    [InlineData(SaeKernels.Sparse, "b_enc")]
    [InlineData(SaeKernels.Sparse, "W_dec")]
    [InlineData(SaeKernels.Sparse, "b_dec")]
    public void Gradients_match_finite_differences(SaeKernels kernels, string name)
    {
        using var scope = TensorScope.Enter();
        using var sae = Make(kernels);
        CheckFiniteDifferences(sae, Inputs(), name);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sparse_step_matches_the_dense_step(bool dead)
    {
        using var scope = TensorScope.Enter();
        using var dense = Make(SaeKernels.Dense);
        using var sparse = Make(SaeKernels.Sparse);
        var x = Inputs(12);
        var step = new SaeStepContext { DeadMask = dead ? Mask(0, 3, 7, 8, 30, 31, 62) : null };
        var (a, b) = (dense.TrainingForward(x, step), sparse.TrainingForward(x, step));
        Assert.Equal(a.Loss.ToDouble(), b.Loss.ToDouble(), 12);
        Assert.Equal(a.L0.ToDouble(), b.L0.ToDouble(), 12);
        Assert.True(a.Fired.Equal(b.Fired));
        Assert.Equal(dense.Threshold, sparse.Threshold, 12);
        var (ga, gb) = (Gradients(dense, x, step), Gradients(sparse, x, step));
        foreach (var name in ga.Keys) Close(ga[name], gb[name], 1e-12, name);
    }

    [Theory]
    [InlineData(SaeKernels.Dense)]
    [InlineData(SaeKernels.Sparse)]
    public void Selection_stays_exact_when_one_row_holds_most_of_the_batch_top(SaeKernels kernels)
    {
        // Row 0 scaled ×40 takes more than its 4k candidates of the batch's top k·B: the candidate
        // search must widen. Reference: the k·B largest of ReLU(h) over the whole batch.
        using var scope = TensorScope.Enter();
        using var sae = Make(kernels);
        var x = Inputs(12);
        x.Narrow(0, 0, 1).Mul_(40);
        var h = Functional.Linear(x - Param(sae, "b_dec").Detach(), Param(sae, "W_enc").Detach(), Param(sae, "b_enc").Detach());
        var flat = h.Relu().Flatten();
        var (kept, where) = flat.TopK(5 * 12);
        var f = flat.ZerosLike().Scatter(0, where, kept).View(h.Shape);
        Assert.True(f.Narrow(0, 0, 1).Gt(0).Sum().ToInt64() > 20, "row 0 should hold more than 4k of the batch's top");
        var expected = (f.Mm(Param(sae, "W_dec").Detach()) + Param(sae, "b_dec").Detach() - x).Square().Sum(1).Mean();
        Assert.Equal(expected.ToDouble(), Loss(sae, x), 10);
    }
}
