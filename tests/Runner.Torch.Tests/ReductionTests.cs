using static Runner.Torch.Tests.Approx;

namespace Runner.Torch.Tests;

public sealed class ReductionTests
{
    private static Tensor Matrix(Device device) => Tensors.From(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3).To(device);

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Sum_over_everything_and_per_dimension_with_and_without_keepDim(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Matrix(device);
        var all = x.Sum();
        Assert.Empty(all.Shape);
        Assert.Equal(21.0, all.ToDouble());
        var cols = x.Sum(0);
        Assert.Equal([3L], cols.Shape);
        Assert.Equal([5f, 7f, 9f], cols.Cpu().ToArray<float>());
        var rows = x.Sum(1, keepDim: true);
        Assert.Equal([2L, 1L], rows.Shape);
        Assert.Equal([6f, 15f], rows.Cpu().ToArray<float>());
        Assert.Equal(21.0, x.Sum([0, 1]).ToDouble());
        Assert.Equal([1L, 1L], x.Sum([0, 1], keepDim: true).Shape);
        Assert.Equal([6f, 15f], x.Sum(-1).Cpu().ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Mean_over_everything_and_per_dimension(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Matrix(device);
        Assert.Equal(3.5, x.Mean().ToDouble());
        Assert.Equal([2f, 5f], x.Mean(1).Cpu().ToArray<float>());
        var m = x.Mean(0, keepDim: true);
        Assert.Equal([1L, 3L], m.Shape);
        Assert.Equal([2.5f, 3.5f, 4.5f], m.Cpu().ToArray<float>());
        Assert.Equal([3.5f], x.Mean([0, 1], keepDim: true).Cpu().ToArray<float>());
    }

    [Fact]
    public void Sum_of_integers_stays_integral_and_sum_of_bools_counts_them()
    {
        using var scope = TensorScope.Enter();
        var s = Tensors.From(new long[] { 3, 4, 5 }).Sum();
        Assert.Equal(DType.Int64, s.DType);
        Assert.Equal(12L, s.ToInt64());
        var b = Tensors.From(new[] { true, false, true, true }).Sum();
        Assert.Equal(DType.Int64, b.DType);
        Assert.Equal(3L, b.ToInt64());
        Assert.Equal(720.0, Tensors.From(new[] { 1.0, 2, 3, 4, 5, 6 }).Prod().ToDouble());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Max_and_Min_over_everything_and_Amax_Amin_per_dimension(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 9f, 3f, 7f, -5f, 6f }, 2, 3).To(device);
        Assert.Equal(9.0, x.Max().ToDouble());
        Assert.Equal(-5.0, x.Min().ToDouble());
        Assert.Equal([9f, 7f], x.Amax([1]).Cpu().ToArray<float>());
        Assert.Equal([1f, -5f, 3f], x.Amin([0]).Cpu().ToArray<float>());
        Assert.Equal([2L, 1L], x.Amax([1], keepDim: true).Shape);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Max_and_Min_along_a_dimension_give_values_and_indices(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 9f, 3f, 7f, -5f, 6f }, 2, 3).To(device);
        var (values, indices) = x.Max(1);
        Assert.Equal([2L], values.Shape);
        Assert.Equal([9f, 7f], values.Cpu().ToArray<float>());
        Assert.Equal(DType.Int64, indices.DType);
        Assert.Equal([1L, 0L], indices.Cpu().ToArray<long>());

        var (minValues, minIndices) = x.Min(0, keepDim: true);
        Assert.Equal([1L, 3L], minValues.Shape);
        Assert.Equal([1L, 3L], minIndices.Shape);
        Assert.Equal([1f, -5f, 3f], minValues.Cpu().ToArray<float>());
        Assert.Equal([0L, 1L, 0L], minIndices.Cpu().ToArray<long>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Argmax_and_Argmin_find_the_extreme_positions(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1f, 9f, 3f, 7f, -5f, 6f }, 2, 3).To(device);
        var flat = x.Argmax();
        Assert.Empty(flat.Shape);
        Assert.Equal(1L, flat.ToInt64());
        Assert.Equal([1L, 0L], x.Argmax(1).Cpu().ToArray<long>());
        Assert.Equal([1L, 0L, 1L], x.Argmax(0).Cpu().ToArray<long>());
        Assert.Equal([0L, 1L], x.Argmin(1).Cpu().ToArray<long>());
        Assert.Equal([2L, 1L], x.Argmin(1, keepDim: true).Shape);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Var_unbiased_and_with_correction_zero_match_hand_computation(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        // mean 5, squared deviations sum to 32
        var x = Tensors.From(new[] { 2.0, 4, 4, 4, 5, 5, 7, 9 }).To(device);
        Assert.Equal(32.0 / 7, x.Var().ToDouble(), 12);
        Assert.Equal(4.0, x.Var(correction: 0).ToDouble(), 12);

        var m = x.View(2, 4); // rows [2,4,4,4] (mean 3.5, ss 3) and [5,5,7,9] (mean 6.5, ss 11)
        Equal([3.0 / 3, 11.0 / 3], m.Var([1]), 1e-12);
        Equal([3.0 / 4, 11.0 / 4], m.Var([1], correction: 0), 1e-12);
        Assert.Equal([2L, 1L], m.Var([1], keepDim: true).Shape);
        Equal([4.5, 0.5, 4.5, 12.5], m.Var([0]), 1e-12);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Norm_p2_p1_and_per_dimension(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var v = Tensors.From(new[] { 3f, -4f }).To(device);
        Assert.Equal(5.0, v.Norm().ToDouble(), 6);
        Assert.Equal(7.0, v.Norm(1).ToDouble(), 6);
        Assert.Equal(4.0, v.Norm(double.PositiveInfinity).ToDouble(), 6);

        var m = Tensors.From(new[] { 3f, 4f, 6f, -8f }, 2, 2).To(device);
        Equal([5.0, 10.0], m.Norm(2, 1), 1e-6);
        Equal([7.0, 14.0], m.Norm(1, [1L]), 1e-6);
        Assert.Equal([2L, 1L], m.Norm(2, 1, keepDim: true).Shape);
        Equal([Math.Sqrt(125)], m.Norm(2, (long[]?)null, keepDim: true), 1e-6);
        Assert.Equal([1L, 1L], m.Norm(2, (long[]?)null, keepDim: true).Shape);
    }

    [Fact]
    public void Any_and_All_reduce_truthiness()
    {
        using var scope = TensorScope.Enter();
        var b = Tensors.From(new[] { true, false, false, false }, 2, 2);
        Assert.True(b.Any().ToBoolean());
        Assert.False(b.All().ToBoolean());
        Assert.Equal([true, false], b.Any(1).ToArray<bool>());
        Assert.Equal([2L, 1L], b.Any(1, keepDim: true).Shape);
        Assert.True(Tensors.Ones([3]).All().ToBoolean());
        Assert.False(Tensors.Zeros([3]).Any().ToBoolean());
        Assert.Equal(DType.Bool, Tensors.From(new[] { 0f, 2f }).Any().DType);
        Assert.True(Tensors.From(new[] { 0f, 2f }).Any().ToBoolean());
    }

    [Fact]
    public void LogSumExp_equals_the_direct_formula_and_stays_finite_for_large_inputs()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 1.0, 2, 3, -1, 0, 1 }, 2, 3);
        Equal([Math.Log(Math.E + Math.Exp(2) + Math.Exp(3)), Math.Log(Math.Exp(-1) + 1 + Math.E)], x.LogSumExp(1), 1e-12);
        Equal(Values(x.Exp().Sum(1).Log()), x.LogSumExp(1), 1e-12);
        Assert.Equal([2L, 1L], x.LogSumExp(1, keepDim: true).Shape);

        var big = Tensors.From(new[] { 1000f, 1000f });
        Assert.True(float.IsInfinity(big.Exp().Sum().Log().ToSingle()));  // the naive way overflows
        Assert.Equal(1000 + Math.Log(2), big.LogSumExp(0).ToDouble(), 3);
    }

    [Fact]
    public void CountNonzero_over_everything_and_per_dimension()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(new[] { 0f, 1f, 2f, 0f, 0f, -3f }, 2, 3);
        Assert.Equal(3L, x.CountNonzero().ToInt64());
        Assert.Equal([0L, 1L, 2L], x.CountNonzero(0).ToArray<long>());
        Assert.Equal([2L, 1L], x.CountNonzero(1).ToArray<long>());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Cumsum_accumulates_along_the_dimension(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        Assert.Equal([1L, 3L, 6L, 10L], Tensors.From(new long[] { 1, 2, 3, 4 }).To(device).Cumsum(0).Cpu().ToArray<long>());
        var m = Matrix(device);
        Assert.Equal([1f, 3f, 6f, 4f, 9f, 15f], m.Cumsum(1).Cpu().ToArray<float>());
        Assert.Equal([1f, 2f, 3f, 5f, 7f, 9f], m.Cumsum(0).Cpu().ToArray<float>());
    }

    [Fact]
    public void Mean_of_an_integer_tensor_throws_TorchException()
    {
        using var scope = TensorScope.Enter();
        var e = Assert.Throws<TorchException>(() => Tensors.Arange(3).Mean());
        Assert.Equal("mean", e.Operation);
        Assert.Contains("floating point", e.NativeMessage);
    }
}
