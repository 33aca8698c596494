using Runner.Core.Sae;
using Runner.Torch;
using static Runner.Core.Tests.Sae.SaeTestKit;

namespace Runner.Core.Tests.Sae;

public sealed class JumpReluSaeTests
{
    // The hand example of ReluSaeTests with θ = [0.9, 1.5, 0.6]: h = [1, 1, 0.5] and [0, 3, 2.5]
    //   f = [1, 0, 0] and [0, 3, 2.5];  Σ_d err² = 1 and 18.5 -> mse 9.75;  L0 = 1.5
    //   tanh penalty (c = 4, ‖W_dec‖ = 1, 1, √2): (tanh 4 + tanh 12 + tanh 10√2) / 2
    //   pre-act, dead {1, 2}: Σ_b Σ_i ReLU(θ_i − h_i)‖W_dec,i‖ / B = (0.5 + 0.1√2) / 2
    private static Dictionary<string, Tensor> HandTensors()
    {
        var t = ReluSaeTests.HandTensors();
        t["threshold"] = Tensors.From(new double[] { 0.9, 1.5, 0.6 });
        return t;
    }

    private static ISparseAutoencoder HandSae(SparsityMode mode) =>
        SaeFactory.FromSaeLens("jumprelu", null, HandTensors(), options: new SaeOptions { DIn = 2, DSae = 3, SparsityMode = mode, PreActCoefficient = 0.5 });

    [Fact]
    public void Tanh_loss_and_pre_activation_loss_match_the_hand_computed_example()
    {
        using var scope = TensorScope.Enter();
        using var sae = HandSae(SparsityMode.Tanh);
        var x = ReluSaeTests.HandInputs();
        var forward = sae.TrainingForward(x, new SaeStepContext { SparsityScale = 0.5 });
        var tanh = (Math.Tanh(4) + Math.Tanh(12) + Math.Tanh(10 * Math.Sqrt(2))) / 2;
        Assert.Equal(9.75, forward.Mse.ToDouble(), 12);
        Assert.Equal(5 * 0.5 * tanh, forward.Terms["sparsity"].ToDouble(), 12);
        Assert.Equal(9.75 + 5 * 0.5 * tanh, forward.Loss.ToDouble(), 12);
        Assert.False(forward.Terms.ContainsKey("pre_act"));
        Assert.Equal(1.5, forward.L0.ToDouble(), 6);
        Assert.Equal([true, true, true], forward.Fired.ToArray<bool>());
        Close([1, 0, 0, 0, 3, 2.5], Values(sae.Encode(x)), 1e-12, "f");

        var dead = sae.TrainingForward(x, new SaeStepContext { SparsityScale = 0.5, DeadMask = Tensors.From(new[] { false, true, true }) });
        Assert.Equal(0.5 * (0.5 + 0.1 * Math.Sqrt(2)) / 2, dead.Terms["pre_act"].ToDouble(), 12);
        Assert.Equal(forward.Loss.ToDouble() + dead.Terms["pre_act"].ToDouble(), dead.Loss.ToDouble(), 12);
    }

    [Fact]
    public void Step_loss_is_the_weighted_L0()
    {
        using var scope = TensorScope.Enter();
        using var sae = HandSae(SparsityMode.Step);
        var forward = sae.TrainingForward(ReluSaeTests.HandInputs(), new SaeStepContext { SparsityScale = 0.5 });
        Assert.Equal(5 * 0.5 * 1.5, forward.Terms["sparsity"].ToDouble(), 12);
        Assert.Equal(9.75 + 5 * 0.5 * 1.5, forward.Loss.ToDouble(), 12);
    }

    private static ISparseAutoencoder Random(SparsityMode mode) =>
        Create(Options(SaeKind.JumpRelu) with { SparsityMode = mode, Bandwidth = 0.3, InitThreshold = 0.05, PreActCoefficient = 0.2 });

    // h, and ∂L/∂f of the smooth part (MSE, plus the tanh penalty with weight `tanhWeight`) by autograd with f a leaf.
    private static (Tensor H, Tensor GradF) Reference(ISparseAutoencoder sae, Tensor x, double tanhWeight)
    {
        var p = sae.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.Detach());
        var h = Functional.Linear(x - p["b_dec"], p["W_enc"], p["b_enc"]);
        var f = (h * h.Gt(p["threshold"])).RequiresGrad_();
        var loss = (f.Mm(p["W_dec"]) + p["b_dec"] - x).Square().Sum(1).Mean()
                   + (f * (p["W_dec"].Norm(2, 1) * sae.Options.TanhScale)).Tanh().Sum(1).Mean() * tanhWeight;
        loss.Backward();
        return (h, f.Grad!);
    }

    [Fact]
    public void Threshold_gradient_is_the_straight_through_estimate_with_a_rectangle_kernel()
    {
        // ∂L/∂θ_i = Σ_b ∂L/∂f_bi · (−θ_i/ε) · 1[|h_bi − θ_i| < ε/2]
        using var scope = TensorScope.Enter();
        using var sae = Random(SparsityMode.Tanh);
        var x = Inputs(10);
        var step = new SaeStepContext { SparsityScale = 0.4 };
        var (h, gradF) = Reference(sae, x, 5 * 0.4);
        var theta = Param(sae, "threshold").Detach();
        var eps = sae.Options.Bandwidth;
        var window = (h - theta).Abs().Lt(eps / 2);
        var expected = (gradF * window * (theta * (-1 / eps))).Sum([0]);
        Assert.True(window.Any().ToBoolean() && !window.All().ToBoolean(), "the kernel should select some entries and not others");
        Close(Values(expected), Gradients(sae, x, step)["threshold"], 1e-10, "θ");
    }

    [Fact]
    public void Step_mode_threshold_gradient_adds_the_step_pseudo_derivative()
    {
        // ∂/∂θ_i of λ·s·E_t Σ_i H(h − θ) is λ·s·Σ_b (−1/ε) K / B; the MSE part flows through f as in tanh mode.
        using var scope = TensorScope.Enter();
        using var sae = Random(SparsityMode.Step);
        var x = Inputs(10);
        var (h, gradF) = Reference(sae, x, 0);
        var theta = Param(sae, "threshold").Detach();
        var eps = sae.Options.Bandwidth;
        var window = (h - theta).Abs().Lt(eps / 2).To(DType.Float64);
        var expected = (gradF * window * (theta * (-1 / eps))).Sum([0]) + window.Sum([0]) * (5 * 0.6 * -1 / (eps * 10));
        Close(Values(expected), Gradients(sae, x, new SaeStepContext { SparsityScale = 0.6 })["threshold"], 1e-10, "θ");
    }

    [Theory]
    [InlineData(SparsityMode.Tanh, "W_enc")]
    [InlineData(SparsityMode.Tanh, "b_enc")]
    [InlineData(SparsityMode.Tanh, "W_dec")]
    [InlineData(SparsityMode.Tanh, "b_dec")]
    [InlineData(SparsityMode.Step, "W_enc")]
    [InlineData(SparsityMode.Step, "W_dec")]
    [InlineData(SparsityMode.Step, "b_dec")]
    public void Weight_gradients_with_the_pre_activation_loss_match_finite_differences(SparsityMode mode, string name)
    {
        using var scope = TensorScope.Enter();
        using var sae = Random(mode);
        CheckFiniteDifferences(sae, Inputs(), name, new SaeStepContext { SparsityScale = 0.8, DeadMask = Mask(0, 1, 2, 10, 11, 40, 63) });
    }

    [Fact]
    public void Threshold_is_a_linear_float32_parameter_clamped_at_zero()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(1);
        using var sae = SaeFactory.Create(Options(SaeKind.JumpRelu), g, Device.Cpu);
        var theta = Param(sae, "threshold");
        Assert.Equal(DType.Float32, theta.DType);
        Assert.True(theta.RequiresGrad);
        Close(Enumerable.Repeat(0.1, DSae).ToArray(), Values(theta), 1e-7, "θ");        // not exp(log θ)
        Close(Values(theta), Values(sae.ExportSaeLens()["threshold"]), 0, "exported θ");
        using (TorchRuntime.NoGrad()) theta.Narrow(0, 0, 3).Fill_(-0.5);
        sae.AfterOptimizerStep();
        Assert.Equal(0, theta.Min().ToDouble());
    }

    [Fact]
    public void Bf16_autocast_keeps_the_threshold_gradient_in_float32()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(1);
        using var sae = SaeFactory.Create(Options(SaeKind.JumpRelu) with { Bandwidth = 0.5 }, g, Device.Cpu);
        var x = Inputs(16, dtype: DType.Float32);
        SaeForward forward;
        using (TorchRuntime.Autocast(Device.Cpu)) forward = sae.TrainingForward(x, new SaeStepContext());
        forward.Loss.Backward();
        var grad = Param(sae, "threshold").Grad!;
        Assert.Equal(DType.Float32, grad.DType);
        Assert.True(grad.IsFinite().All().ToBoolean());
        var fp32 = sae.TrainingForward(x, new SaeStepContext()).Loss.ToDouble();
        Assert.Equal(fp32, forward.Loss.ToDouble(), fp32 * 0.02);
    }
}
