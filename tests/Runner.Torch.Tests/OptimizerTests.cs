using static Runner.Torch.Tests.Approx;

namespace Runner.Torch.Tests;

public sealed class OptimizerTests
{
    /// <summary>PyTorch's single-tensor Adam in double precision: the reference the kernel must agree with.</summary>
    private sealed class ReferenceAdam(double[] p, double lr, double b1 = 0.9, double b2 = 0.999, double eps = 1e-8, double wd = 0)
    {
        public double[] P { get; } = (double[])p.Clone();
        public double[] M { get; } = new double[p.Length];
        public double[] V { get; } = new double[p.Length];
        public int Steps { get; private set; }

        public void Step(double[] grad)
        {
            Steps++;
            var bc1 = 1 - Math.Pow(b1, Steps);
            var bc2 = 1 - Math.Pow(b2, Steps);
            for (var i = 0; i < P.Length; i++)
            {
                var g = grad[i] + wd * P[i];
                M[i] = b1 * M[i] + (1 - b1) * g;
                V[i] = b2 * V[i] + (1 - b2) * g * g;
                var denom = Math.Sqrt(V[i]) / Math.Sqrt(bc2) + eps;
                P[i] -= lr / bc1 * M[i] / denom;
            }
        }
    }

    [Theory]
    [InlineData(DType.Float64, 1e-13)]
    [InlineData(DType.Float32, 1e-6)]
    public void Three_Adam_steps_match_a_double_precision_reimplementation_of_PyTorchs_formula(DType dtype, double tol)
    {
        using var scope = TensorScope.Enter();
        double[] start = [1.0, -2.0, 0.5, 0.0];
        double[][] grads = [[0.3, -1.5, 2.0, 1e-3], [-0.2, -1.0, 0.5, 0.0], [0.7, 4.0, -3.0, -2e-3]];
        var p = Tensors.From(start).To(dtype).RequiresGrad_();
        using var adam = new Adam([p], lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        var reference = new ReferenceAdam(start, 0.1);

        foreach (var g in grads)
        {
            p.Grad = Tensors.From(g).To(dtype);
            adam.Step();
            reference.Step(g);
            Equal(reference.P, p, tol);
        }

        var state = adam.StateOf(p);
        Assert.Equal(3, state.Step);
        Equal(reference.M, state.ExpAvg!, tol);
        Equal(reference.V, state.ExpAvgSq!, tol);
        Assert.Equal(dtype, state.ExpAvg!.DType);
        Assert.Equal(dtype, p.DType);
    }

    [Fact]
    public void First_Adam_step_moves_every_parameter_by_the_learning_rate_against_the_gradient_sign()
    {
        using var scope = TensorScope.Enter();
        var p = Tensors.From(new[] { 1.0, 1.0, 1.0 }).RequiresGrad_();
        using var adam = new Adam([p], lr: 0.1);
        p.Grad = Tensors.From(new[] { 5.0, -0.01, 300.0 });
        adam.Step();
        // m̂ = g, v̂ = g², so the step is lr * g / (|g| + eps)
        Equal([1 - 0.1 * 5 / (5 + 1e-8), 1 + 0.1 * 0.01 / (0.01 + 1e-8), 1 - 0.1 * 300 / (300 + 1e-8)], p, 1e-14);
    }

    [Fact]
    public void Parameter_groups_use_their_own_learning_rates()
    {
        using var scope = TensorScope.Enter();
        var fast = Tensors.From(new[] { 0.0, 0.0 }).RequiresGrad_();
        var slow = Tensors.From(new[] { 0.0, 0.0 }).RequiresGrad_();
        using var adam = new Adam([new ParamGroup([fast]) { Lr = 0.1 }, new ParamGroup([slow]) { Lr = 0.01 }]);
        Assert.Equal(2, adam.Groups.Count);
        fast.Grad = Tensors.From(new[] { 1.0, -1.0 });
        slow.Grad = Tensors.From(new[] { 1.0, -1.0 });
        adam.Step();
        Equal([-0.1, 0.1], fast, 1e-7);
        Equal([-0.01, 0.01], slow, 1e-7);
    }

    [Fact]
    public void SetLearningRate_changes_the_step_of_every_group()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.From(new[] { 0.0 }).RequiresGrad_();
        var b = Tensors.From(new[] { 0.0 }).RequiresGrad_();
        using var adam = new Adam([new ParamGroup([a]) { Lr = 0.1 }, new ParamGroup([b]) { Lr = 0.2 }]);
        adam.SetLearningRate(0.05);
        Assert.All(adam.Groups, g => Assert.Equal(0.05, g.Lr));
        a.Grad = Tensors.From(new[] { 2.0 });
        b.Grad = Tensors.From(new[] { -2.0 });
        adam.Step();
        Equal([-0.05], a, 1e-7);
        Equal([0.05], b, 1e-7);

        var before = Values(a)[0];
        adam.Groups[0].Lr = 0;                                   // groups are live settings
        adam.Step();
        Assert.Equal(before, Values(a)[0]);
    }

    [Fact]
    public void Weight_decay_adds_the_L2_term_to_the_gradient()
    {
        using var scope = TensorScope.Enter();
        double[] start = [1.0, -2.0];
        var p = Tensors.From(start).RequiresGrad_();
        using var adam = new Adam([p], lr: 0.01, weightDecay: 0.1);
        var reference = new ReferenceAdam(start, 0.01, wd: 0.1);
        double[][] grads = [[0.0, 0.0], [0.5, 0.3]];
        foreach (var g in grads)
        {
            p.Grad = Tensors.From(g);
            adam.Step();
            reference.Step(g);
        }
        Equal(reference.P, p, 1e-13);
        Assert.True(Values(p)[0] < 1 - 0.01);     // a zero gradient still decays toward 0 on the first step
    }

    [Fact]
    public void ZeroGrad_sets_every_gradient_to_null()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.Ones([2]).RequiresGrad_();
        var b = Tensors.Ones([3]).RequiresGrad_();
        using var adam = new Adam([a, b]);
        (a.Sum() + b.Sum()).Backward();
        Assert.NotNull(a.Grad);
        Assert.NotNull(b.Grad);
        adam.ZeroGrad();
        Assert.Null(a.Grad);
        Assert.Null(b.Grad);
    }

    [Fact]
    public void Parameters_without_a_gradient_are_left_untouched()
    {
        using var scope = TensorScope.Enter();
        var used = Tensors.From(new[] { 1.0 }).RequiresGrad_();
        var unused = Tensors.From(new[] { 5.0, 6.0 }).RequiresGrad_();
        using var adam = new Adam([used, unused], lr: 0.1);
        (used * 3).Sum().Backward();
        adam.Step();
        adam.Step();
        Assert.Equal([5.0, 6.0], unused.ToArray<double>());
        Assert.Equal(0, adam.StateOf(unused).Step);
        Assert.Null(adam.StateOf(unused).ExpAvg);
        Assert.Equal(2, adam.StateOf(used).Step);
        Assert.True(Values(used)[0] < 0.85);
    }

    [Fact]
    public void Adam_minimizes_a_quadratic_within_200_steps()
    {
        using var scope = TensorScope.Enter();
        var p = Tensors.From(new[] { 3f, -2f, 0.5f }).RequiresGrad_();
        var target = Tensors.From(new[] { -1f, 1f, 2f });
        using var adam = new Adam([p], lr: 0.1);
        double first = 0, last = 0;
        for (var i = 0; i < 200; i++)
        {
            using var step = TensorScope.Enter();
            var loss = (p - target).Square().Sum();
            if (i == 0) first = loss.ToDouble();
            last = loss.ToDouble();
            loss.Backward();
            adam.Step();
            adam.ZeroGrad();
        }
        Assert.Equal(27.25, first, 5);
        Assert.True(last < 1e-3, $"loss after 200 steps: {last}");
        Equal([-1, 1, 2], p, 0.05);
    }

    [Fact]
    public void Adam_rejects_integer_parameters_and_parameters_in_two_groups()
    {
        using var scope = TensorScope.Enter();
        Assert.Throws<ArgumentException>(() => new Adam([Tensors.Arange(3)]));
        var p = Tensors.Ones([1]).RequiresGrad_();
        Assert.Throws<ArgumentException>(() => new Adam([new ParamGroup([p]), new ParamGroup([p])]));
    }

    [Fact]
    public void Dispose_frees_the_moments()
    {
        using var scope = TensorScope.Enter();
        var p = Tensors.Ones([4]).RequiresGrad_();
        var adam = new Adam([p]);
        p.Grad = Tensors.Ones([4]);
        adam.Step();
        var m = adam.StateOf(p).ExpAvg!;
        var v = adam.StateOf(p).ExpAvgSq!;
        Assert.Null(m.Owner);                       // owned by the optimizer, not the scope
        var live = SettledLiveCount();
        adam.Dispose();
        Assert.True(m.IsDisposed);
        Assert.True(v.IsDisposed);
        Assert.Null(adam.StateOf(p).ExpAvg);
        Assert.Equal(live - 2, Tensor.LiveCount);
    }

    [Fact]
    public void ClipNorm_returns_the_global_norm_and_scales_the_gradients_down_to_the_limit()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.Zeros([2]).RequiresGrad_();
        var b = Tensors.Zeros([1]).RequiresGrad_();
        a.Grad = Tensors.From(new[] { 3f, 4f });
        b.Grad = Tensors.From(new[] { 12f });
        var norm = Gradients.ClipNorm([a, b], 6.5);
        Assert.Equal(13.0, norm, 5);                                  // sqrt(9 + 16 + 144)
        var coef = 6.5 / (13 + 1e-6);
        Equal([3 * coef, 4 * coef], a.Grad!, 1e-6);
        Equal([12 * coef], b.Grad!, 1e-6);
        var after = Math.Sqrt(Values(a.Grad!).Sum(v => v * v) + Values(b.Grad!).Sum(v => v * v));
        Assert.Equal(6.5, after, 4);
    }

    [Fact]
    public void ClipNorm_below_the_limit_leaves_the_gradients_unchanged()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.Zeros([2]).RequiresGrad_();
        var noGrad = Tensors.Zeros([3]).RequiresGrad_();
        a.Grad = Tensors.From(new[] { 3f, 4f });
        Assert.Equal(5.0, Gradients.ClipNorm([a, noGrad], 20), 5);
        Assert.Equal([3f, 4f], a.Grad!.ToArray<float>());
        Assert.Null(noGrad.Grad);
        Assert.Equal(0.0, Gradients.ClipNorm([noGrad], 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gradients.ClipNorm([a], 0));
    }
}
