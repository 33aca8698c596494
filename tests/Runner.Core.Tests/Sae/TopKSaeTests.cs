using Runner.Core.Sae;
using Runner.Torch;
using static Runner.Core.Tests.Sae.SaeTestKit;

namespace Runner.Core.Tests.Sae;

public sealed class TopKSaeTests
{
    // The hand example of ReluSaeTests with b_enc = [0, −1.2, 0.5]: h = [1, 0.8, 0.5] and [0, 2.8, 2.5].
    //   k = 1: f keeps latent 0 (1) and latent 1 (2.8): x̂ = [1.5, −0.5] and [0.5, 2.3]; Σ_d err² = 1 and 0.64 -> mse 0.82
    //   AuxK, latent 2 dead, k_aux = d_in/2 = 1 (scale 1): ê = 0.5·[1, 1] and 2.5·[1, 1] against the
    //   residuals x − x̂ = [0, 1] and [0, −0.8]: Σ_d (ê − r)² = 0.5 and 17.14 -> 8.82, weighted 1/32.
    private static IReadOnlyDictionary<string, Tensor> HandTensors()
    {
        var t = ReluSaeTests.HandTensors();
        t["b_enc"] = Tensors.From(new double[] { 0, -1.2, 0.5 });
        return t;
    }

    private static ISparseAutoencoder HandSae(SaeKernels kernels, int k = 1) =>
        SaeFactory.FromSaeLens("topk", k, HandTensors(), options: new SaeOptions { DIn = 2, DSae = 3, Kernels = kernels });

    [Theory]
    [InlineData(SaeKernels.Dense)]
    [InlineData(SaeKernels.Sparse)]
    public void Loss_matches_the_hand_computed_example_with_and_without_AuxK(SaeKernels kernels)
    {
        using var scope = TensorScope.Enter();
        using var sae = HandSae(kernels);
        var x = ReluSaeTests.HandInputs();
        var plain = sae.TrainingForward(x, new SaeStepContext());
        Assert.Equal(0.82, plain.Loss.ToDouble(), 12);
        Assert.Equal(0.82, plain.Mse.ToDouble(), 12);
        Assert.False(plain.Terms.ContainsKey("auxk"));
        Assert.Equal(1, plain.L0.ToDouble(), 6);
        Assert.Equal([true, true, false], plain.Fired.ToArray<bool>());

        var withDead = sae.TrainingForward(x, new SaeStepContext { DeadMask = Tensors.From(new[] { false, false, true }) });
        Assert.Equal(8.82 / 32, withDead.Terms["auxk"].ToDouble(), 12);
        Assert.Equal(0.82 + 8.82 / 32, withDead.Loss.ToDouble(), 12);
    }

    [Fact]
    public void Encode_keeps_exactly_k_relu_values_per_row()
    {
        using var scope = TensorScope.Enter();
        using var sae = HandSae(SaeKernels.Dense, k: 2);
        Close([1, 0.8, 0, 0, 2.8, 2.5], Values(sae.Encode(ReluSaeTests.HandInputs())), 1e-12, "f");
        using var big = Create(Options(SaeKind.TopK, k: 5), DType.Float32);
        var f = big.Encode(Inputs(7, dtype: DType.Float32));
        Assert.Equal([7L, DSae], f.Shape);
        Assert.True(f.Ne(0).Sum(1).Le(5).All().ToBoolean());
        Assert.True(f.Ge(0).All().ToBoolean());
    }

    [Fact]
    public void Init_is_tied_with_unit_norm_decoder_rows()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(5);
        using var sae = SaeFactory.Create(Options(SaeKind.TopK), g, Device.Cpu);
        Close(Enumerable.Repeat(1.0, DSae).ToArray(), Values(Param(sae, "W_dec").Norm(2, 1)), 1e-6, "‖W_dec,i‖");
        Assert.True(Param(sae, "W_enc").Equal(Param(sae, "W_dec")));
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
        using var sae = Create(Options(SaeKind.TopK, kernels: kernels));
        CheckFiniteDifferences(sae, Inputs(), name);
    }

    // AuxK's target x − x̂ is detached, so finite differences of the loss do not apply to it: the
    // reference is the textbook TopK + AuxK loss on leaf copies, differentiated by autograd.
    [Theory]
    [InlineData(SaeKernels.Dense)]
    [InlineData(SaeKernels.Sparse)]
    public void AuxK_gradients_match_the_textbook_loss_with_a_detached_residual(SaeKernels kernels)
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.TopK, kernels: kernels));
        var x = Inputs(10);
        int[] deadLatents = [1, 5, 9, 20, 33, 40, 41, 50, 63];
        var step = new SaeStepContext { DeadMask = Mask(deadLatents) };

        var p = sae.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone().RequiresGrad_());
        var h = Functional.Linear(x - p["b_dec"], p["W_enc"], p["b_enc"]);
        var (top, topIndices) = h.TopK(sae.Options.K);
        var xHat = h.ZerosLike().Scatter(1, topIndices, top.Relu()).Mm(p["W_dec"]) + p["b_dec"];
        var dead = Tensors.From(deadLatents.Select(i => (long)i).ToArray());
        var (aux, auxColumns) = h.IndexSelect(1, dead).TopK(6);                   // k_aux = 6 of 9 dead: scale 1
        var auxIndices = dead.IndexSelect(0, auxColumns.Flatten()).View(auxColumns.Shape);
        var eHat = h.ZerosLike().Scatter(1, auxIndices, aux.Relu()).Mm(p["W_dec"]);
        var reference = (xHat - x).Square().Sum(1).Mean() + (eHat - (x - xHat).Detach()).Square().Sum(1).Mean() / 32;
        reference.Backward();

        Assert.Equal(reference.ToDouble(), Loss(sae, x, step), 12);
        var grads = Gradients(sae, x, step);
        foreach (var (name, leaf) in p) Close(Values(leaf.Grad!), grads[name], 1e-10, name);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sparse_decoder_matches_the_dense_decoder(bool dead)
    {
        using var scope = TensorScope.Enter();
        var (dense, sparse) = Pair();
        var x = Inputs(12);
        var step = Step(dead);
        var a = dense.TrainingForward(x, step);
        var b = sparse.TrainingForward(x, step);
        Assert.Equal(a.Loss.ToDouble(), b.Loss.ToDouble(), 12);
        Assert.Equal(a.Mse.ToDouble(), b.Mse.ToDouble(), 12);
        Assert.Equal(a.L0.ToDouble(), b.L0.ToDouble(), 12);
        Assert.True(a.Fired.Equal(b.Fired));
        Assert.Equal(a.Terms.Keys.Order(), b.Terms.Keys.Order());
        foreach (var key in a.Terms.Keys) Assert.Equal(a.Terms[key].ToDouble(), b.Terms[key].ToDouble(), 12);
        var (ga, gb) = (Gradients(dense, x, step), Gradients(sparse, x, step));
        Close(ga["W_dec"], gb["W_dec"], 1e-12, "W_dec");
        Close(ga["b_dec"], gb["b_dec"], 1e-12, "b_dec");
        dense.Dispose();
        sparse.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sparse_encoder_gradient_matches_the_dense_gradient(bool dead)
    {
        using var scope = TensorScope.Enter();
        var (dense, sparse) = Pair();
        var x = Inputs(12);
        var step = Step(dead);
        var (ga, gb) = (Gradients(dense, x, step), Gradients(sparse, x, step));
        Close(ga["W_enc"], gb["W_enc"], 1e-12, "W_enc");
        Close(ga["b_enc"], gb["b_enc"], 1e-12, "b_enc");
        Assert.Contains(gb["W_enc"], v => v != 0);
        dense.Dispose();
        sparse.Dispose();
    }

    private static (TopKSae Dense, TopKSae Sparse) Pair() =>
        ((TopKSae)Create(Options(SaeKind.TopK, kernels: SaeKernels.Dense)), (TopKSae)Create(Options(SaeKind.TopK, kernels: SaeKernels.Sparse)));

    private static SaeStepContext Step(bool dead) => new() { DeadMask = dead ? Mask(0, 3, 7, 8, 30, 31, 62) : null };

    [Fact]
    public void Auto_kernels_are_sparse_when_d_sae_is_at_least_8_k_or_32_k_under_autocast()
    {
        using var scope = TensorScope.Enter();
        using var two = (TopKSae)Create(Options(SaeKind.TopK, k: 2), DType.Float32);
        using var eight = (TopKSae)Create(Options(SaeKind.TopK, k: 8), DType.Float32);
        using var nine = (TopKSae)Create(Options(SaeKind.TopK, k: 9), DType.Float32);
        Assert.True(two.UsesSparseKernels(autocast: false) && two.UsesSparseKernels(autocast: true));
        Assert.True(eight.UsesSparseKernels(autocast: false));
        Assert.False(eight.UsesSparseKernels(autocast: true));
        Assert.False(nine.UsesSparseKernels(autocast: false));
    }

    [Fact]
    public void AuxK_applies_only_when_some_latents_are_dead()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.TopK));
        var x = Inputs();
        var none = sae.TrainingForward(x, new SaeStepContext());
        var allAlive = sae.TrainingForward(x, new SaeStepContext { DeadMask = Mask() });
        var someDead = sae.TrainingForward(x, new SaeStepContext { DeadMask = Mask(2, 4) });
        Assert.Empty(none.Terms);
        Assert.Empty(allAlive.Terms);
        Assert.Equal(none.Loss.ToDouble(), allAlive.Loss.ToDouble(), 14);
        Assert.True(someDead.Terms["auxk"].ToDouble() > 0);
        Assert.Equal(someDead.Loss.ToDouble(), someDead.Mse.ToDouble() + someDead.Terms["auxk"].ToDouble(), 12);
    }

    [Fact]
    public void AuxK_is_scaled_by_the_dead_fraction_of_k_aux()
    {
        // Two dead latents with k_aux = 6: the aux term is (2/6)·(1/32)·E_t Σ_d (ê − r)².
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.TopK, kernels: SaeKernels.Dense));
        var x = Inputs();
        var forward = sae.TrainingForward(x, new SaeStepContext { DeadMask = Mask(2, 4) });
        using var noGrad = TorchRuntime.NoGrad();
        var f = sae.Encode(x);
        var residual = x - sae.Decode(f);
        var h = Functional.Linear(x - Param(sae, "b_dec"), Param(sae, "W_enc"), Param(sae, "b_enc"));
        var fAux = h.ZerosLike();
        foreach (var i in new long[] { 2, 4 }) fAux.Narrow(1, i, 1).Copy_(h.Narrow(1, i, 1).Relu());
        var expected = (fAux.Mm(Param(sae, "W_dec")) - residual).Square().Sum(1).Mean().ToDouble() * (2.0 / 6) / 32;
        Assert.Equal(expected, forward.Terms["auxk"].ToDouble(), 12);
    }

    [Fact]
    public void Decoder_gradient_loses_its_component_parallel_to_each_row()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.TopK));
        var x = Inputs();
        sae.TrainingForward(x, new SaeStepContext()).Loss.Backward();
        var w = Param(sae, "W_dec");
        var before = w.Grad!.Clone();
        sae.BeforeOptimizerStep();
        var after = w.Grad!;
        var expected = before - w.Detach() * (before * w.Detach()).Sum([1], keepDim: true);
        Close(expected, after, 1e-12, "projected gradient");
        Assert.True((after * w.Detach()).Sum(1).Abs().Max().ToDouble() < 1e-12);
        Assert.True(before.Sub(after).Abs().Max().ToDouble() > 1e-6);   // the projection did something
    }

    [Fact]
    public void Decoder_rows_are_unit_norm_after_an_optimizer_step()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.TopK), DType.Float32);
        using var adam = new Adam(sae.Parameters.Select(p => p.Value), lr: 0.05);
        sae.TrainingForward(Inputs(dtype: DType.Float32), new SaeStepContext()).Loss.Backward();
        sae.BeforeOptimizerStep();
        adam.Step();
        var w = Param(sae, "W_dec");
        Assert.True(w.Norm(2, 1).Sub(1).Abs().Max().ToDouble() > 1e-4);   // Adam moved the rows off the sphere
        sae.AfterOptimizerStep();
        Close(Enumerable.Repeat(1.0, DSae).ToArray(), Values(w.Norm(2, 1)), 1e-6, "‖W_dec,i‖");
    }

    [Fact]
    public void Decoder_bias_initializes_to_the_geometric_median_of_the_sample()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.TopK));
        var sample = Inputs(40, seed: 3);
        sample.Narrow(0, 0, 3).Mul_(50);                                          // outliers move the mean, barely the median
        sae.InitializeDecoderBias(sample);
        var y = Param(sae, "b_dec").Detach();
        // Optimality of the geometric median: Σ_n (y − x_n)/‖y − x_n‖ = 0.
        var diff = y - sample;
        var gradient = (diff / diff.Norm(2, 1, keepDim: true)).Sum([0]);
        Assert.True(gradient.Norm().ToDouble() < 1e-5, $"‖∇‖ = {gradient.Norm().ToDouble()}");
        Assert.True((y - sample.Mean([0])).Norm().ToDouble() > 0.5);
    }
}
