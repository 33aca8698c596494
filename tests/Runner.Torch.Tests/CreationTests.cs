using System.Runtime.InteropServices;

namespace Runner.Torch.Tests;

public sealed class CreationTests
{
    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Zeros_has_the_requested_shape_dtype_and_device(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var t = Tensors.Zeros([2, 3], DType.Float32, device);
        Assert.Equal([2L, 3L], t.Shape);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(device.Type, t.Device.Type);
        Assert.All(t.Cpu().ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Ones_and_Full_fill_every_element_with_the_value(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var ones = Tensors.Ones([2, 2], DType.Float64, device);
        Assert.Equal(DType.Float64, ones.DType);
        Assert.Equal([1.0, 1.0, 1.0, 1.0], ones.Cpu().ToArray<double>());

        var full = Tensors.Full([3], 2.5, DType.Float32, device);
        Assert.Equal([2.5f, 2.5f, 2.5f], full.Cpu().ToArray<float>());

        var ints = Tensors.Full([2], 7, DType.Int64, device);
        Assert.Equal(DType.Int64, ints.DType);
        Assert.Equal([7L, 7L], ints.Cpu().ToArray<long>());
    }

    [Fact]
    public void Scalar_is_a_zero_dimensional_tensor_holding_the_value()
    {
        using var scope = TensorScope.Enter();
        var s = Tensors.Scalar(3.5);
        Assert.Empty(s.Shape);
        Assert.Equal(0, s.Dim);
        Assert.Equal(1, s.NumberOfElements);
        Assert.Equal(DType.Float32, s.DType);
        Assert.Equal(3.5, s.ToDouble());
        Assert.Equal(3.5f, s.ToSingle());

        var i = Tensors.Scalar(-7, DType.Int64);
        Assert.Equal(-7L, i.ToInt64());
        Assert.True(Tensors.Scalar(true, DType.Bool).ToBoolean());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Randn_with_the_same_seed_gives_identical_values_on_every_device(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var g3 = new Generator(42);
        var a = Tensors.Randn([100], g1, device: device).Cpu().ToArray<float>();
        var b = Tensors.Randn([100], g2, device: device).Cpu().ToArray<float>();
        var onCpu = Tensors.Randn([100], g3).ToArray<float>();
        Assert.Equal(a, b);
        Assert.Equal(onCpu, a);
    }

    [Fact]
    public void Randn_with_different_seeds_gives_different_values()
    {
        using var scope = TensorScope.Enter();
        using var g1 = new Generator(1);
        using var g2 = new Generator(2);
        var a = Tensors.Randn([100], g1).ToArray<float>();
        var b = Tensors.Randn([100], g2).ToArray<float>();
        Assert.True(a.Zip(b).Count(p => p.First != p.Second) > 95);
    }

    [Fact]
    public void Successive_draws_from_one_generator_differ_and_Seed_restarts_the_stream()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(5);
        var first = Tensors.Randn([20], g).ToArray<float>();
        var second = Tensors.Randn([20], g).ToArray<float>();
        Assert.NotEqual(first, second);
        g.Seed(5);
        Assert.Equal(first, Tensors.Randn([20], g).ToArray<float>());
    }

    [Fact]
    public void Generator_state_saved_and_restored_replays_the_same_draws()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(9);
        _ = Tensors.Rand([7], g);
        var state = g.GetState();
        Assert.Equal(DType.UInt8, state.DType);
        var a = Tensors.Rand([10], g).ToArray<float>();
        g.SetState(state);
        var b = Tensors.Rand([10], g).ToArray<float>();
        Assert.Equal(a, b);
    }

    [Fact]
    public void Randn_of_ten_thousand_samples_has_mean_near_zero_and_variance_near_one()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(1234);
        var x = Tensors.Randn([10_000], g).ToArray<float>().Select(v => (double)v).ToArray();
        var mean = x.Average();
        var variance = x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1);
        Assert.InRange(mean, -0.04, 0.04);      // standard error 0.01
        Assert.InRange(variance, 0.95, 1.05);   // standard error ~0.014
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Rand_samples_lie_in_the_half_open_unit_interval(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        using var g = new Generator(77);
        var x = Tensors.Rand([10_000], g, device: device).Cpu().ToArray<float>();
        Assert.All(x, v => Assert.InRange(v, 0f, 0.99999994f));
        Assert.InRange(x.Average(v => (double)v), 0.49, 0.51); // standard error ~0.003
        Assert.True(x.Min() < 0.01f && x.Max() > 0.99f);
    }

    [Fact]
    public void ManualSeed_makes_unseeded_randn_reproducible()
    {
        using var scope = TensorScope.Enter();
        TorchRuntime.ManualSeed(123);
        var a = Tensors.Randn([50]).ToArray<float>();
        var next = Tensors.Randn([50]).ToArray<float>();
        TorchRuntime.ManualSeed(123);
        var b = Tensors.Randn([50]).ToArray<float>();
        Assert.Equal(a, b);
        Assert.NotEqual(a, next);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void RandInt_draws_every_integer_of_the_half_open_range_and_nothing_else(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        using var g = new Generator(3);
        var t = Tensors.RandInt(3, 7, [1000], g, device: device);
        Assert.Equal(DType.Int64, t.DType);
        var x = t.Cpu().ToArray<long>();
        Assert.All(x, v => Assert.InRange(v, 3L, 6L));
        Assert.Equal([3L, 4L, 5L, 6L], x.Distinct().Order().ToArray());
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void RandPerm_is_a_shuffled_permutation_of_0_to_n(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        using var g = new Generator(11);
        var t = Tensors.RandPerm(50, g, device);
        Assert.Equal(DType.Int64, t.DType);
        Assert.Equal(device.Type, t.Device.Type);
        var p = t.Cpu().ToArray<long>();
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), p.Order());
        Assert.NotEqual(Enumerable.Range(0, 50).Select(i => (long)i), p);
    }

    [Fact]
    public void Arange_defaults_to_int64_and_honours_start_end_and_step()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.Arange(5);
        Assert.Equal(DType.Int64, a.DType);
        Assert.Equal([0L, 1L, 2L, 3L, 4L], a.ToArray<long>());
        Assert.Equal([2L, 5L, 8L], Tensors.Arange(2, 10, 3).ToArray<long>());
        Assert.Equal([5L, 3L, 1L], Tensors.Arange(5, 0, -2).ToArray<long>());
    }

    [Fact]
    public void Arange_with_a_float_step_and_dtype_gives_fractional_values()
    {
        using var scope = TensorScope.Enter();
        var a = Tensors.Arange(0, 1, 0.25, DType.Float32);
        Assert.Equal(DType.Float32, a.DType);
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f], a.ToArray<float>());
    }

    [Fact]
    public void From_and_ToArray_round_trip_every_element_type()
    {
        using var scope = TensorScope.Enter();
        RoundTrip(new[] { 1.5f, -2.25f, float.MaxValue }, DType.Float32);
        RoundTrip(new[] { Math.PI, -1e300, double.Epsilon }, DType.Float64);
        RoundTrip(new[] { long.MinValue, 0L, long.MaxValue }, DType.Int64);
        RoundTrip(new[] { int.MinValue, 42, int.MaxValue }, DType.Int32);
        RoundTrip(new[] { true, false, true }, DType.Bool);
        RoundTrip(new[] { (Half)0.5f, (Half)(-3f), Half.MaxValue }, DType.Float16);
        RoundTrip(new byte[] { 0, 127, 255 }, DType.UInt8);

        static void RoundTrip<T>(T[] data, DType dtype) where T : unmanaged
        {
            var t = Tensors.From(data);
            Assert.Equal(dtype, t.DType);
            Assert.Equal([(long)data.Length], t.Shape);
            Assert.Equal(data, t.ToArray<T>());
        }
    }

    [Fact]
    public void From_with_a_shape_lays_the_data_out_row_major()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.From(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal([2L, 3L], t.Shape);
        Assert.Equal([4f, 5f, 6f], t.Select(0, 1).ToArray<float>());
        Assert.Equal([3f, 6f], t.Select(1, 2).ToArray<float>());
    }

    [Fact]
    public void From_two_dimensional_array_keeps_rows_and_columns()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.From(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Assert.Equal([2L, 3L], t.Shape);
        Assert.Equal(DType.Float64, t.DType);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], t.ToArray<double>());
        Assert.Equal(4.0, t.Select(0, 1).Select(0, 0).ToDouble());
    }

    [Fact]
    public void From_ushort_bits_as_bfloat16_converts_to_the_float32_values()
    {
        using var scope = TensorScope.Enter();
        ushort[] bits = [0x3F80, 0xC000, 0x3F00, 0x0000];   // 1, -2, 0.5, 0
        var bf = Tensors.From<ushort>(bits, DType.BFloat16);
        Assert.Equal(DType.BFloat16, bf.DType);
        Assert.Equal([1f, -2f, 0.5f, 0f], bf.To(DType.Float32).ToArray<float>());
        Assert.Equal(bits, bf.ToArray<ushort>());
        Assert.Equal([(ushort)0x3F80], Tensors.Full([1], 1.0, DType.BFloat16).ToArray<ushort>());
    }

    [Fact]
    public void From_with_a_shape_that_does_not_match_the_data_throws_TorchException()
    {
        using var scope = TensorScope.Enter();
        var e = Assert.Throws<TorchException>(() => Tensors.From(new float[5], 2, 3));
        Assert.Equal("from", e.Operation);
        Assert.Contains("20 bytes", e.NativeMessage);
    }

    [Fact]
    public void From_of_an_element_type_without_a_dtype_throws_ArgumentException()
    {
        using var scope = TensorScope.Enter();
        Assert.Throws<ArgumentException>(() => Tensors.From(new ushort[] { 1, 2 }));
        Assert.Throws<ArgumentException>(() => Tensors.From<float>(new float[] { 1 }, DType.Float64));
    }

    [Fact]
    public void CopyTo_with_a_destination_of_the_wrong_length_throws_ArgumentException()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.Ones([2, 3]);
        Assert.Throws<ArgumentException>(() => t.CopyTo(new float[5].AsSpan()));
        Assert.Throws<ArgumentException>(() => t.CopyTo(new float[7].AsSpan()));
        var ok = new float[6];
        t.CopyTo(ok.AsSpan());
        Assert.All(ok, v => Assert.Equal(1f, v));
    }

    [Fact]
    public void ToArray_with_a_mismatched_element_size_throws_ArgumentException()
    {
        using var scope = TensorScope.Enter();
        Assert.Throws<ArgumentException>(() => Tensors.Ones([3]).ToArray<double>());
        Assert.Throws<ArgumentException>(() => Tensors.Arange(3).ToArray<int>());
        Assert.Throws<ArgumentException>(() => Tensors.Ones([3], DType.BFloat16).ToArray<float>());
    }

    [Fact]
    public unsafe void FromBuffer_wraps_native_memory_without_copying_and_disposes_the_owner_after_its_last_user()
    {
        using var scope = TensorScope.Enter();
        var p = (float*)NativeMemory.Alloc(6 * sizeof(float));
        for (var i = 0; i < 6; i++) p[i] = i + 1;
        var owner = new CountingOwner(() => NativeMemory.Free(p));

        var t = Tensors.FromBuffer((IntPtr)p, [2, 3], DType.Float32, owner);
        Assert.Equal([2L, 3L], t.Shape);
        Assert.Equal((IntPtr)p, t.DataPointer);                 // no copy
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray<float>());

        p[4] = 50;                                               // native write, seen by the tensor
        Assert.Equal([1f, 2, 3, 4, 50, 6], t.ToArray<float>());
        Assert.Same(t, t.Mul_(2));                               // tensor write, seen in native memory
        Assert.Equal(100f, p[4]);

        var view = t.Narrow(1, 1, 2);
        Assert.Equal([4f, 6, 100, 12], view.ToArray<float>());

        t.Dispose();
        Assert.Equal(0, owner.Disposals);                       // the view still uses the memory
        Assert.Equal([4f, 6, 100, 12], view.ToArray<float>());
        view.Dispose();
        Assert.Equal(1, owner.Disposals);                       // last user gone: released exactly once
    }

    [Fact]
    public unsafe void FromBuffer_that_fails_throws_TorchException_and_leaves_the_owner_to_the_caller()
    {
        using var scope = TensorScope.Enter();
        var p = (float*)NativeMemory.Alloc(4 * sizeof(float));
        var owner = new CountingOwner(() => NativeMemory.Free(p));
        var live = Approx.SettledLiveCount();
        // one failure before libtorch builds the storage, one after (an unknown dtype)
        Assert.Throws<TorchException>(() => Tensors.FromBuffer((IntPtr)p, [-1, 4], DType.Float32, owner));
        Assert.Throws<TorchException>(() => Tensors.FromBuffer((IntPtr)p, [4], (DType)99, owner));
        Assert.Equal(0, owner.Disposals);                       // not released behind the caller's back
        Assert.Equal(live, Tensor.LiveCount);
        owner.Dispose();
        Assert.Equal(1, owner.Disposals);
    }

    [Fact]
    public unsafe void FromBuffer_without_an_owner_leaves_the_memory_to_the_caller()
    {
        var p = (long*)NativeMemory.Alloc(4 * sizeof(long));
        try
        {
            using (var scope = TensorScope.Enter())
            {
                for (var i = 0; i < 4; i++) p[i] = 10 * i;
                var t = Tensors.FromBuffer((IntPtr)p, [4], DType.Int64);
                Assert.Equal([0L, 10, 20, 30], t.ToArray<long>());
                t.Add_(1);
            }
            Assert.Equal(31L, p[3]);                             // still valid, and written through
        }
        finally
        {
            NativeMemory.Free(p);
        }
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void ZerosLike_OnesLike_and_FullLike_copy_shape_dtype_and_device(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var source = Tensors.Randn([2, 3], dtype: DType.Float64, device: device);
        foreach (var (t, value) in new[] { (source.ZerosLike(), 0.0), (source.OnesLike(), 1.0), (source.FullLike(4.5), 4.5) })
        {
            Assert.Equal([2L, 3L], t.Shape);
            Assert.Equal(DType.Float64, t.DType);
            Assert.Equal(device.Type, t.Device.Type);
            Assert.All(t.Cpu().ToArray<double>(), v => Assert.Equal(value, v));
        }
        var ints = Tensors.Arange(4, device).FullLike(9);
        Assert.Equal(DType.Int64, ints.DType);
        Assert.Equal([9L, 9L, 9L, 9L], ints.Cpu().ToArray<long>());
        var empty = source.EmptyLike();
        Assert.Equal([2L, 3L], empty.Shape);
        Assert.Equal(DType.Float64, empty.DType);
        Assert.Equal(device.Type, empty.Device.Type);
    }

    private sealed class CountingOwner(Action release) : IDisposable
    {
        public int Disposals { get; private set; }

        public void Dispose()
        {
            Disposals++;
            release();
        }
    }
}
