using static Runner.Torch.Tests.Approx;

namespace Runner.Torch.Tests;

public sealed class ElementwiseTests
{
    private static readonly double[] Xs = [-2.5, -1, -0.5, 0, 0.25, 1, 2, 3.5];

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Add_sub_mul_div_of_tensors_match_elementwise_arithmetic(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var a = Tensors.From(new[] { 1f, 2f, 3f, 4f }).To(device);
        var b = Tensors.From(new[] { 0.5f, -1f, 2f, 8f }).To(device);
        Assert.Equal([1.5f, 1f, 5f, 12f], (a + b).Cpu().ToArray<float>());
        Assert.Equal([0.5f, 3f, 1f, -4f], (a - b).Cpu().ToArray<float>());
        Assert.Equal([0.5f, -2f, 6f, 32f], (a * b).Cpu().ToArray<float>());
        Assert.Equal([2f, -2f, 1.5f, 0.5f], (a / b).Cpu().ToArray<float>());
        Assert.Equal([1.5f, 1f, 5f, 12f], a.Add(b).Cpu().ToArray<float>());
        Assert.Equal([0.5f, 3f, 1f, -4f], a.Sub(b).Cpu().ToArray<float>());
        Assert.Equal([0.5f, -2f, 6f, 32f], a.Mul(b).Cpu().ToArray<float>());
        Assert.Equal([2f, -2f, 1.5f, 0.5f], a.Div(b).Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Broadcasting_a_column_against_a_row_gives_the_outer_sum_and_product(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var col = Tensors.From(new[] { 0f, 10f, 20f }, 3, 1).To(device);
        var row = Tensors.From(new[] { 1f, 2f, 3f, 4f }, 1, 4).To(device);
        var sum = col + row;
        Assert.Equal([3L, 4L], sum.Shape);
        Assert.Equal(Enumerable.Range(0, 12).Select(k => (float)(10 * (k / 4) + k % 4 + 1)), sum.Cpu().ToArray<float>());
        var product = col * Tensors.From(new[] { 1f, 2f, 3f, 4f }).To(device); // [3,1] * [4] -> [3,4]
        Assert.Equal(Enumerable.Range(0, 12).Select(k => (float)(10 * (k / 4) * (k % 4 + 1))), product.Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Scalars_work_on_both_sides_of_every_operator(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var t = Tensors.From(new[] { 1f, 2f, 4f }).To(device);
        Assert.Equal([2f, 3f, 5f], (t + 1).Cpu().ToArray<float>());
        Assert.Equal([2f, 3f, 5f], (1 + t).Cpu().ToArray<float>());
        Assert.Equal([0f, 1f, 3f], (t - 1).Cpu().ToArray<float>());
        Assert.Equal([1f, 0f, -2f], (2 - t).Cpu().ToArray<float>());
        Assert.Equal([3f, 6f, 12f], (t * 3).Cpu().ToArray<float>());
        Assert.Equal([3f, 6f, 12f], (3 * t).Cpu().ToArray<float>());
        Assert.Equal([0.5f, 1f, 2f], (t / 2).Cpu().ToArray<float>());
        Assert.Equal([2f, 1f, 0.5f], (2 / t).Cpu().ToArray<float>());
        Assert.Equal([-1f, -2f, -4f], (-t).Cpu().ToArray<float>());
        Assert.Equal([1.5f, 2.5f, 4.5f], (t + 0.5).Cpu().ToArray<float>());
        Assert.Equal([-0.5f, 0.5f, 2.5f], t.Sub(1.5).Cpu().ToArray<float>());
    }

    [Fact]
    public void Integer_tensor_plus_an_integral_scalar_stays_int64()
    {
        using var scope = TensorScope.Enter();
        var ids = Tensors.From(new long[] { 1, 2, 3 });
        var r = ids + 1;
        Assert.Equal(DType.Int64, r.DType);
        Assert.Equal([2L, 3L, 4L], r.ToArray<long>());
        Assert.Equal(DType.Int64, (ids * 2).DType);
        Assert.Equal([1L, 0L, -1L], (2 - ids).ToArray<long>());
        Assert.Equal(DType.Int32, (Tensors.From(new[] { 1, 2 }) + 1L).DType);
    }

    [Fact]
    public void Integer_tensor_times_a_floating_scalar_becomes_float32()
    {
        using var scope = TensorScope.Enter();
        var ids = Tensors.From(new long[] { 1, 2, 3 });
        var r = ids * 0.5;
        Assert.Equal(DType.Float32, r.DType);
        Assert.Equal([0.5f, 1f, 1.5f], r.ToArray<float>());
        var q = ids / 2;   // true division
        Assert.Equal(DType.Float32, q.DType);
        Assert.Equal([0.5f, 1f, 1.5f], q.ToArray<float>());
        Assert.Equal(DType.Float32, (ids + 1.0).DType);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Pow_with_scalar_and_tensor_exponents(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var t = Tensors.From(new[] { 1.0, 2.0, 3.0 }).To(device);
        Assert.Equal([1.0, 4.0, 9.0], t.Pow(2).Cpu().ToArray<double>());
        Equal([1.0, Math.Sqrt(2), Math.Sqrt(3)], t.Pow(0.5), 1e-12);
        var e = Tensors.From(new[] { 3.0, 0.5, -1.0 }).To(device);
        Equal([1.0, Math.Sqrt(2), 1.0 / 3], t.Pow(e), 1e-12);
        Assert.Equal([1L, 8L, 27L], Tensors.From(new long[] { 1, 2, 3 }).Pow(3).ToArray<long>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Comparisons_produce_bool_masks(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var a = Tensors.From(new[] { 1f, 2f, 3f }).To(device);
        var b = Tensors.From(new[] { 3f, 2f, 1f }).To(device);
        var eq = a.Eq(b);
        Assert.Equal(DType.Bool, eq.DType);
        Assert.Equal([false, true, false], eq.Cpu().ToArray<bool>());
        Assert.Equal([true, false, true], a.Ne(b).Cpu().ToArray<bool>());
        Assert.Equal([true, false, false], a.Lt(b).Cpu().ToArray<bool>());
        Assert.Equal([true, true, false], a.Le(b).Cpu().ToArray<bool>());
        Assert.Equal([false, false, true], a.Gt(b).Cpu().ToArray<bool>());
        Assert.Equal([false, true, true], a.Ge(b).Cpu().ToArray<bool>());
        Assert.Equal([false, true, true], a.Gt(1).Cpu().ToArray<bool>());
        Assert.Equal([true, true, false], a.Le(2.5).Cpu().ToArray<bool>());
        Assert.Equal([false, false, true], a.Eq(3).Cpu().ToArray<bool>());
        Assert.Equal([true, true, false], a.Ne(3).Cpu().ToArray<bool>());
        Assert.Equal([true, false, false], a.Lt(2).Cpu().ToArray<bool>());
        Assert.Equal([false, true, true], a.Ge(2).Cpu().ToArray<bool>());
        Assert.Equal(DType.Bool, a.Gt(1).DType);
    }

    [Fact]
    public void Logical_operators_combine_bool_masks()
    {
        using var scope = TensorScope.Enter();
        var p = Tensors.From(new[] { true, true, false, false });
        var q = Tensors.From(new[] { true, false, true, false });
        Assert.Equal([true, false, false, false], p.LogicalAnd(q).ToArray<bool>());
        Assert.Equal([true, true, true, false], p.LogicalOr(q).ToArray<bool>());
        Assert.Equal([false, true, true, false], p.LogicalXor(q).ToArray<bool>());
        Assert.Equal([false, false, true, true], p.LogicalNot().ToArray<bool>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Where_picks_from_the_first_tensor_where_the_condition_holds(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { -1f, 2f, -3f, 4f }).To(device);
        var r = Tensors.Where(x.Gt(0), x, x * 10);
        Assert.Equal([-10f, 2f, -30f, 4f], r.Cpu().ToArray<float>());
        var broadcast = Tensors.Where(x.Gt(0), x, Tensors.Zeros([1], device: device));
        Assert.Equal([0f, 2f, 0f, 4f], broadcast.Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Clamp_with_min_only_max_only_and_both(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { -3f, -1f, 0f, 1f, 3f }).To(device);
        Assert.Equal([-1f, -1f, 0f, 1f, 3f], x.Clamp(min: -1).Cpu().ToArray<float>());
        Assert.Equal([-3f, -1f, 0f, 0.5f, 0.5f], x.Clamp(max: 0.5).Cpu().ToArray<float>());
        Assert.Equal([-2f, -1f, 0f, 1f, 2f], x.Clamp(-2, 2).Cpu().ToArray<float>());
        Assert.Equal([-3f, -1f, 0f, 1f, 3f], x.Cpu().ToArray<float>()); // the source is untouched
    }

    [Fact]
    public void Clamp_in_place_modifies_and_returns_the_same_tensor()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { -3f, 0f, 3f });
        Assert.Same(x, x.Clamp_(-1, 2));
        Assert.Equal([-1f, 0f, 2f], x.ToArray<float>());
        Assert.Same(x, x.Clamp_(min: 0));
        Assert.Equal([0f, 0f, 2f], x.ToArray<float>());
        Assert.Same(x, x.Clamp_(max: 1));
        Assert.Equal([0f, 0f, 1f], x.ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Activations_and_transcendentals_match_their_formulas(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Xs).To(device);
        static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
        Equal(Xs.Select(v => Math.Max(v, 0)).ToArray(), x.Relu(), 1e-12);
        Equal(Xs.Select(Sigmoid).ToArray(), x.Sigmoid(), 1e-12);
        Equal(Xs.Select(v => v * Sigmoid(v)).ToArray(), x.Silu(), 1e-12);
        Equal(Xs.Select(Math.Tanh).ToArray(), x.Tanh(), 1e-12);
        Equal(Xs.Select(Math.Exp).ToArray(), x.Exp(), 1e-12);
        Equal(Xs.Select(Math.Sin).ToArray(), x.Sin(), 1e-12);
        Equal(Xs.Select(Math.Cos).ToArray(), x.Cos(), 1e-12);
        Equal(Xs.Select(v => Math.Abs(v)).ToArray(), x.Abs(), 1e-12);
        Equal(Xs.Select(v => v * v).ToArray(), x.Square(), 1e-12);
        Equal(Xs.Select(v => (double)Math.Sign(v)).ToArray(), x.Sign(), 0);
        Equal(Xs.Select(Erf).ToArray(), x.Erf(), 1e-12);

        double[] pos = [0.25, 1, 2, 9, 100];
        var p = Tensors.From(pos).To(device);
        Equal(pos.Select(v => Math.Log(v)).ToArray(), p.Log(), 1e-12);
        Equal(pos.Select(Math.Sqrt).ToArray(), p.Sqrt(), 1e-12);
        Equal(pos.Select(v => 1 / Math.Sqrt(v)).ToArray(), p.Rsqrt(), 1e-12);
        Equal(pos.Select(v => 1 / v).ToArray(), p.Reciprocal(), 1e-12);
        Equal(pos.Select(v => Math.Log(1 + v)).ToArray(), p.Log1p(), 1e-12);

        // float32 agrees with the double formula to float precision
        var f = Tensors.From(Xs.Select(v => (float)v).ToArray()).To(device);
        Equal(Xs.Select(v => v * Sigmoid(v)).ToArray(), f.Silu(), 1e-6);
        Equal(Xs.Select(Math.Tanh).ToArray(), f.Tanh(), 1e-6);
    }

    [Fact]
    public void Gelu_exact_and_tanh_approximation_match_known_values_and_their_formulas()
    {
        using var scope = TensorScope.Enter();
        var one = Tensors.From(new[] { 1f, -1f, 0f });
        Equal([0.8413447, -0.1586553, 0], one.Gelu(), 1e-6);
        Equal([0.8411920, -0.1588080, 0], one.Gelu(tanhApproximation: true), 1e-6);

        var x = Tensors.From(Xs);
        var exact = Xs.Select(v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)))).ToArray();
        var approx = Xs.Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))).ToArray();
        Equal(exact, x.Gelu(), 1e-12);
        Equal(approx, x.Gelu(true), 1e-12);
        Assert.True(Math.Abs(Values(x.Gelu())[5] - Values(x.Gelu(true))[5]) > 1e-4); // they are different functions
    }

    [Fact]
    public void GeluTanh_through_the_sigmoid_equals_the_tanh_formula_in_every_dtype_and_differentiates_the_same()
    {
        using var scope = TensorScope.Enter();
        var approx = Xs.Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))).ToArray();
        Equal(approx, Functional.GeluTanh(Tensors.From(Xs)), 1e-12);
        using var g = new Generator(5);
        var x = Tensors.Randn([64, 96], g) * 3;
        Equal(x.Gelu(true), Functional.GeluTanh(x), 2e-6);
        var bf16 = Functional.GeluTanh(x.To(DType.BFloat16));
        Assert.Equal(DType.BFloat16, bf16.DType);
        Equal(x.To(DType.BFloat16).Gelu(true), bf16, 0.05);

        // the in-place composition runs only without autograd: with it, the gradient is gelu's
        var a = x.Clone().RequiresGrad_();
        Functional.GeluTanh(a).Sum().Backward();
        var b = x.Clone().RequiresGrad_();
        b.Gelu(true).Sum().Backward();
        Equal(b.Grad!, a.Grad!, 1e-5);
        using (TorchRuntime.NoGrad()) Equal(x.Gelu(true), Functional.GeluTanh(x), 2e-6);
    }

    [Fact]
    public void Rounding_remainder_and_floor_division_follow_python_semantics()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.7 });
        Assert.Equal([-2.0, -2, -0, 0, 2, 2, 3], x.Round().ToArray<double>());  // half to even
        Assert.Equal([-3.0, -2, -1, 0, 1, 2, 2], x.Floor().ToArray<double>());
        Assert.Equal([-2.0, -1, -0, 1, 2, 3, 3], x.Ceil().ToArray<double>());
        var n = Tensors.From(new long[] { -3, -1, 3, 7 });
        Assert.Equal([1L, 1L, 1L, 1L], n.Remainder(2).ToArray<long>());
        Assert.Equal([-2L, -1L, 1L, 3L], n.FloorDivide(2).ToArray<long>());
        Assert.Equal(DType.Int64, n.FloorDivide(2).DType);
    }

    [Fact]
    public void Maximum_and_Minimum_take_the_elementwise_extremes()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.From(new[] { 1f, 5f, -2f });
        var b = Tensors.From(new[] { 3f, 4f, -1f });
        Assert.Equal([3f, 5f, -1f], a.Maximum(b).ToArray<float>());
        Assert.Equal([1f, 4f, -2f], a.Minimum(b).ToArray<float>());
    }

    [Fact]
    public void In_place_ops_return_the_same_object_and_modify_it()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.From(new[] { 1f, -2f, 3f });
        var other = Tensors.From(new[] { 1f, 1f, 2f });
        var before = t.DataPointer;
        Assert.Same(t, t.Add_(other));
        Assert.Equal([2f, -1f, 5f], t.ToArray<float>());
        Assert.Same(t, t.Add_(other, alpha: -2));
        Assert.Equal([0f, -3f, 1f], t.ToArray<float>());
        Assert.Same(t, t.Add_(1));
        Assert.Equal([1f, -2f, 2f], t.ToArray<float>());
        Assert.Same(t, t.Sub_(other));
        Assert.Equal([0f, -3f, 0f], t.ToArray<float>());
        Assert.Same(t, t.Sub_(1));
        Assert.Equal([-1f, -4f, -1f], t.ToArray<float>());
        Assert.Same(t, t.Mul_(other));
        Assert.Equal([-1f, -4f, -2f], t.ToArray<float>());
        Assert.Same(t, t.Mul_(-0.5));
        Assert.Equal([0.5f, 2f, 1f], t.ToArray<float>());
        Assert.Same(t, t.Div_(other));
        Assert.Equal([0.5f, 2f, 0.5f], t.ToArray<float>());
        Assert.Same(t, t.Div_(0.5));
        Assert.Equal([1f, 4f, 1f], t.ToArray<float>());
        Assert.Same(t, t.Sub_(2).Relu_());
        Assert.Equal([0f, 2f, 0f], t.ToArray<float>());
        Assert.Same(t, t.Copy_(Tensors.From(new[] { 7.0, 8.0, 9.0 })));   // converts float64 -> float32
        Assert.Equal([7f, 8f, 9f], t.ToArray<float>());
        Assert.Same(t, t.Copy_(Tensors.Scalar(6)));                        // broadcasts
        Assert.Equal([6f, 6f, 6f], t.ToArray<float>());
        Assert.Same(t, t.Fill_(2.5));
        Assert.Equal([2.5f, 2.5f, 2.5f], t.ToArray<float>());
        Assert.Same(t, t.Zero_());
        Assert.Equal([0f, 0f, 0f], t.ToArray<float>());
        Assert.Equal(before, t.DataPointer);                             // never reallocated
    }

    [Fact]
    public void In_place_op_that_cannot_hold_the_result_type_throws_TorchException()
    {
        using var scope = TensorScope.Enter();
        var ids = Tensors.From(new long[] { 1, 2 });
        var e = Assert.Throws<TorchException>(() => ids.Mul_(0.5));
        Assert.Contains("Float", e.NativeMessage);
        Assert.Equal([1L, 2L], ids.ToArray<long>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void MaskedFill_and_MaskedSelect_use_the_mask(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3).To(device);
        var mask = x.Gt(3.5);
        Assert.Equal([1f, 2f, 3f, -1f, -1f, -1f], x.MaskedFill(mask, -1).Cpu().ToArray<float>());
        var selected = x.MaskedSelect(mask);
        Assert.Equal([3L], selected.Shape);
        Assert.Equal([4f, 5f, 6f], selected.Cpu().ToArray<float>());
        var rowMask = Tensors.From(new[] { true, false, true }).To(device); // broadcast over rows
        Assert.Equal([0f, 2f, 0f, 0f, 5f, 0f], x.MaskedFill(rowMask, 0).Cpu().ToArray<float>());
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], x.Cpu().ToArray<float>());

        Assert.Same(x, x.MaskedFill_(mask, float.NegativeInfinity));
        Assert.Equal([1f, 2f, 3f, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], x.Cpu().ToArray<float>());
    }

    [Fact]
    public void IsNan_IsInf_and_IsFinite_flag_special_values()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f });
        Assert.Equal(DType.Bool, x.IsNan().DType);
        Assert.Equal([false, true, false, false, false], x.IsNan().ToArray<bool>());
        Assert.Equal([false, false, true, true, false], x.IsInf().ToArray<bool>());
        Assert.Equal([true, false, false, false, true], x.IsFinite().ToArray<bool>());
        Assert.True(Values((Tensors.Scalar(0.0) / 0.0).IsNan())[0] == 1);
    }

    [Fact]
    public void AllClose_and_Equal_compare_whole_tensors()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.From(new[] { 1f, 2f, 3f });
        Assert.True(a.Equal(Tensors.From(new[] { 1f, 2f, 3f })));
        Assert.False(a.Equal(Tensors.From(new[] { 1f, 2f, 3.0001f })));
        Assert.True(a.AllClose(Tensors.From(new[] { 1f, 2f, 3.00001f }), rtol: 1e-4));
        Assert.False(a.AllClose(Tensors.From(new[] { 1f, 2f, 3.01f }), rtol: 1e-4));
        Assert.False(a.Equal(Tensors.From(new[] { 1f, 2f })));
    }
}
