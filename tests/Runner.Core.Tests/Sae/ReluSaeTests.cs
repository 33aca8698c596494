using Runner.Core.Sae;
using Runner.Torch;
using static Runner.Core.Tests.Sae.SaeTestKit;

namespace Runner.Core.Tests.Sae;

public sealed class ReluSaeTests
{
    // The hand example: d_in 2, d_sae 3, two rows (SAELens layout).
    //   x − b_dec = [1, 1] and [0, 2];  h = [1, 1, 0.5] and [0, 3, 2.5];  f = ReLU(h)
    //   x̂ = [2, 1] and [3, 5];  Σ_d (x̂ − x)² = 0.5 and 18.5  -> mse 9.5
    //   Σ_i f_i ‖W_dec,i‖ = 2 + 0.5√2 and 3 + 2.5√2 (norms 1, 1, √2) -> mean (5 + 3√2) / 2
    internal static Dictionary<string, Tensor> HandTensors() => new()
    {
        ["W_enc"] = Tensors.From(new double[,] { { 1, 0, -1 }, { 0, 2, 1 } }),
        ["b_enc"] = Tensors.From(new double[] { 0, -1, 0.5 }),
        ["W_dec"] = Tensors.From(new double[,] { { 1, 0 }, { 0, 1 }, { 1, 1 } }),
        ["b_dec"] = Tensors.From(new double[] { 0.5, -0.5 }),
    };

    internal static Tensor HandInputs() => Tensors.From(new double[,] { { 1.5, 0.5 }, { 0.5, 1.5 } });

    [Fact]
    public void Loss_matches_the_hand_computed_example()
    {
        using var scope = TensorScope.Enter();
        using var sae = SaeFactory.FromSaeLens("standard", null, HandTensors());
        var forward = sae.TrainingForward(HandInputs(), new SaeStepContext { SparsityScale = 0.5 });
        var l1 = (5 + 3 * Math.Sqrt(2)) / 2;
        Assert.Equal(9.5, forward.Mse.ToDouble(), 12);
        Assert.Equal(9.5 + 5 * 0.5 * l1, forward.Loss.ToDouble(), 12);
        Assert.Equal(5 * 0.5 * l1, forward.Terms["l1"].ToDouble(), 12);
        Assert.Equal(2.5, forward.L0.ToDouble(), 6);
        Assert.Equal([true, true, true], forward.Fired.ToArray<bool>());
        Close([1, 1, 0.5, 0, 3, 2.5], Values(sae.Encode(HandInputs())), 1e-12, "f");
    }

    [Fact]
    public void Init_has_decoder_rows_of_norm_one_tenth_a_tied_encoder_and_zero_biases()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(3);
        using var sae = SaeFactory.Create(Options(SaeKind.Relu), g, Device.Cpu);
        var wDec = Param(sae, "W_dec");
        Close(Enumerable.Repeat(0.1, DSae).ToArray(), Values(wDec.Norm(2, 1)), 1e-6, "‖W_dec,i‖");
        Assert.True(Param(sae, "W_enc").Equal(wDec));
        Assert.Equal(0, Param(sae, "b_enc").Abs().Sum().ToDouble());
        Assert.Equal(0, Param(sae, "b_dec").Abs().Sum().ToDouble());
        Assert.Equal(DType.Float32, wDec.DType);
        Assert.Equal("standard", sae.SaeLensArchitecture);
    }

    [Fact]
    public void Encode_decode_and_the_training_forward_have_the_documented_shapes()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.Relu), DType.Float32);
        var x = Inputs(5, dtype: DType.Float32);
        var f = sae.Encode(x);
        Assert.Equal([5L, DSae], f.Shape);
        Assert.True(f.Ge(0).All().ToBoolean());
        Assert.Equal([5L, DIn], sae.Decode(f).Shape);
        var forward = sae.TrainingForward(x, new SaeStepContext());
        Assert.Empty(forward.Loss.Shape);
        Assert.True(forward.Loss.RequiresGrad);
        Assert.False(forward.Mse.RequiresGrad);
        Assert.Equal([(long)DSae], forward.Fired.Shape);
        Assert.Equal(DType.Bool, forward.Fired.DType);
        Assert.Equal(forward.Loss.ToDouble(), forward.Mse.ToDouble() + forward.Terms.Values.Sum(t => t.ToDouble()), 4);
    }

    [Fact]
    public void Folded_bias_and_column_sum_forms_match_the_textbook_loss_and_gradients()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.Relu));
        var x = Inputs();
        var step = new SaeStepContext { SparsityScale = 0.3 };

        // The textbook form on leaf copies: f = ReLU((x − b_dec) W_encᵀ + b_enc), penalty E_t Σ_i f_i ‖W_dec,i‖.
        var p = sae.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.Detach().Clone().RequiresGrad_());
        var f = Functional.Linear(x - p["b_dec"], p["W_enc"], p["b_enc"]).Relu();
        var xHat = f.Mm(p["W_dec"]) + p["b_dec"];
        var reference = (xHat - x).Square().Sum(1).Mean() + (f * p["W_dec"].Norm(2, 1)).Sum(1).Mean() * (5.0 * 0.3);
        reference.Backward();

        Assert.Equal(reference.ToDouble(), Loss(sae, x, step), 12);
        var grads = Gradients(sae, x, step);
        foreach (var (name, leaf) in p) Close(Values(leaf.Grad!), grads[name], 1e-10, name);
    }

    [Theory]
    [InlineData("W_enc")]
    [InlineData("b_enc")]
    [InlineData("W_dec")]
    [InlineData("b_dec")]
    public void Gradients_match_finite_differences(string name)
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.Relu));
        CheckFiniteDifferences(sae, Inputs(), name, new SaeStepContext { SparsityScale = 0.7 });
    }

    [Fact]
    public void The_sparsity_scale_weights_the_l1_term_only()
    {
        using var scope = TensorScope.Enter();
        using var sae = Create(Options(SaeKind.Relu));
        var x = Inputs();
        var zero = sae.TrainingForward(x, new SaeStepContext { SparsityScale = 0 });
        Assert.Equal(zero.Mse.ToDouble(), zero.Loss.ToDouble(), 12);
        var full = sae.TrainingForward(x, new SaeStepContext { SparsityScale = 1 });
        Assert.True(full.Terms["l1"].ToDouble() > 0);
    }
}
