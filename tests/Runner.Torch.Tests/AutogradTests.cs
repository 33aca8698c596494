using static Runner.Torch.Tests.Approx;

namespace Runner.Torch.Tests;

public sealed class AutogradTests
{
    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Gradient_of_the_sum_of_squares_is_twice_the_input(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, -2f, 3f }).To(device).RequiresGrad_();
        var y = (x * x).Sum();
        y.Backward();
        var grad = x.Grad;
        Assert.NotNull(grad);
        Assert.Equal([2f, -4f, 6f], grad.Cpu().ToArray<float>());
        Assert.Equal(device.Type, grad.Device.Type);
    }

    [Fact]
    public void Gradients_of_a_small_MLP_match_central_finite_differences()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(2024);
        long[][] shapes = [[5, 3], [5], [2, 5], [2]];
        var values = shapes.Select(s => Tensors.Randn(s, g, DType.Float64).ToArray<double>()).ToArray();
        var x = Tensors.Randn([4, 3], g, DType.Float64);
        var target = Tensors.Randn([4, 2], g, DType.Float64);

        Tensor Loss(IReadOnlyList<Tensor> p)
        {
            var hidden = Functional.Linear(x, p[0], p[1]).Tanh();
            var output = Functional.Linear(hidden, p[2], p[3]);
            return ((output - target).Square() * Tensors.From(new[] { 1.0, 0.5 })).Mean() + (hidden.Sigmoid() * 0.1).Sum();
        }

        var parameters = values.Select((v, k) => Tensors.From(v, shapes[k]).RequiresGrad_()).ToArray();
        Loss(parameters).Backward();
        var analytic = parameters.Select(p => p.Grad!.ToArray<double>()).ToArray();

        double LossAt(double[][] v)
        {
            using var inner = TensorScope.Enter();
            using var noGrad = TorchRuntime.NoGrad();
            return Loss(v.Select((a, k) => Tensors.From(a, shapes[k])).ToArray()).ToDouble();
        }

        const double eps = 1e-6;
        for (var k = 0; k < values.Length; k++)
            for (var i = 0; i < values[k].Length; i++)
            {
                var plus = values.Select(a => (double[])a.Clone()).ToArray();
                var minus = values.Select(a => (double[])a.Clone()).ToArray();
                plus[k][i] += eps;
                minus[k][i] -= eps;
                var numeric = (LossAt(plus) - LossAt(minus)) / (2 * eps);
                var a = analytic[k][i];
                Assert.True(Math.Abs(a - numeric) <= 1e-6 * Math.Max(1, Math.Abs(a)), $"parameter {k}[{i}]: analytic {a:R}, numeric {numeric:R}");
            }
        Assert.Contains(analytic.SelectMany(a => a), v => Math.Abs(v) > 1e-3);  // not trivially zero
    }

    [Fact]
    public void Detach_cuts_the_graph_but_shares_the_storage()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 2f }).RequiresGrad_();
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Assert.Equal(x.DataPointer, d.DataPointer);
        var z = (x * 2 + d * 5).Sum();
        z.Backward();
        Assert.Equal([2f, 2f], x.Grad!.ToArray<float>());          // not 7: the detached path has no gradient
        Assert.False((d * 3).RequiresGrad);
    }

    [Fact]
    public void RequiresGrad_and_IsLeaf_distinguish_user_tensors_from_recorded_results()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.Ones([2]);
        Assert.False(x.RequiresGrad);
        Assert.True(x.IsLeaf);
        Assert.Same(x, x.RequiresGrad_());
        Assert.True(x.RequiresGrad);
        Assert.True(x.IsLeaf);
        var y = x * 2;
        Assert.True(y.RequiresGrad);
        Assert.False(y.IsLeaf);
        var plain = Tensors.Ones([2]) * 2;
        Assert.False(plain.RequiresGrad);
        Assert.True(plain.IsLeaf);
        x.RequiresGrad = false;
        Assert.False(x.RequiresGrad);
        Assert.Throws<TorchException>(() => y.RequiresGrad = false);   // only leaves can stop requiring grad
    }

    [Fact]
    public void Grad_is_null_before_backward_and_accumulates_across_backward_calls()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, -2f }).RequiresGrad_();
        Assert.Null(x.Grad);
        (x * x).Sum().Backward();
        Assert.Equal([2f, -4f], x.Grad!.ToArray<float>());
        (x * 3).Sum().Backward();
        Assert.Equal([5f, -1f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Grad_setter_with_null_clears_and_with_a_tensor_replaces_the_gradient()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 2f }).RequiresGrad_();
        (x * 4).Sum().Backward();
        Assert.NotNull(x.Grad);
        x.Grad = null;
        Assert.Null(x.Grad);
        x.Grad = Tensors.From(new[] { 10f, 20f });
        Assert.Equal([10f, 20f], x.Grad!.ToArray<float>());
        x.Sum().Backward();
        Assert.Equal([11f, 21f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void Grad_shares_storage_with_the_accumulated_gradient()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 2f }).RequiresGrad_();
        (x * x).Sum().Backward();
        x.Grad!.Mul_(0.5);
        Assert.Equal([1f, 2f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void NoGrad_stops_recording_and_nested_scopes_restore_the_previous_mode()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.Ones([2]).RequiresGrad_();
        Assert.True(TorchRuntime.IsGradEnabled);
        using (TorchRuntime.NoGrad())
        {
            Assert.False(TorchRuntime.IsGradEnabled);
            Assert.False((x * 2).RequiresGrad);
            using (TorchRuntime.EnableGrad())
            {
                Assert.True(TorchRuntime.IsGradEnabled);
                Assert.True((x * 2).RequiresGrad);
                using (TorchRuntime.NoGrad()) Assert.False(TorchRuntime.IsGradEnabled);
                Assert.True(TorchRuntime.IsGradEnabled);
            }
            Assert.False(TorchRuntime.IsGradEnabled);
        }
        Assert.True(TorchRuntime.IsGradEnabled);
        Assert.True((x * 2).RequiresGrad);

        var once = TorchRuntime.NoGrad();
        once.Dispose();
        using (TorchRuntime.NoGrad()) once.Dispose();    // a second Dispose restores nothing
        Assert.True(TorchRuntime.IsGradEnabled);
    }

    [Fact]
    public void Grad_mode_is_per_thread()
    {
        using var noGrad = TorchRuntime.NoGrad();
        var other = true;
        var thread = new Thread(() => other = TorchRuntime.IsGradEnabled);
        thread.Start();
        thread.Join();
        Assert.True(other);
        Assert.False(TorchRuntime.IsGradEnabled);
    }

    [Fact]
    public void Backward_of_a_non_scalar_without_a_gradient_throws_TorchException()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 2f, 3f }).RequiresGrad_();
        var y = x * x;
        var e = Assert.Throws<TorchException>(() => y.Backward());
        Assert.Equal("backward", e.Operation);
        Assert.Contains("only for scalar outputs", e.NativeMessage);
        Assert.Null(x.Grad);

        y.Backward(Tensors.From(new[] { 1f, 10f, 100f }));           // vector-Jacobian product
        Assert.Equal([2f, 40f, 600f], x.Grad!.ToArray<float>());
    }

    [Fact]
    public void RetainGraph_allows_a_second_backward_and_without_it_the_second_one_throws()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, -1f }).RequiresGrad_();
        var y = (x * x).Sum();
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal([4f, -4f], x.Grad!.ToArray<float>());

        var z = (x * x).Sum();
        z.Backward();
        var e = Assert.Throws<TorchException>(() => z.Backward());
        Assert.Contains("backward through the graph a second time", e.NativeMessage);
    }

    [Fact]
    public void Gradients_flow_through_views_softmax_and_cross_entropy()
    {
        using var scope = TensorScope.Enter();
        double[] logits = [0.2, -1, 0.5, 1.5, 0, -0.3];
        var x = Tensors.From(logits, 2, 3).RequiresGrad_();
        Functional.CrossEntropy(x, Tensors.From(new long[] { 2, 0 })).Backward();
        // d/dx of mean cross-entropy: (softmax - onehot) / n
        var expected = new double[6];
        long[] target = [2, 0];
        for (var r = 0; r < 2; r++)
        {
            var row = logits.Skip(3 * r).Take(3).ToArray();
            var z = row.Sum(Math.Exp);
            for (var c = 0; c < 3; c++) expected[3 * r + c] = (Math.Exp(row[c]) / z - (c == target[r] ? 1 : 0)) / 2;
        }
        Equal(expected, x.Grad!, 1e-12);
    }
}
