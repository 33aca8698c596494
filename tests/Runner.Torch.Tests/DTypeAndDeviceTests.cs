namespace Runner.Torch.Tests;

public sealed class DTypeAndDeviceTests
{
    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Float32_to_float64_and_back_preserves_every_value(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        float[] values = [1.5f, -2.75f, 3.1415927f, 1e-30f, -1e30f];
        var t = Tensors.From(values).To(device);
        var d = t.To(DType.Float64);
        Assert.Equal(DType.Float64, d.DType);
        Assert.Equal(values.Select(v => (double)v), d.Cpu().ToArray<double>());
        Assert.Equal(values, d.To(DType.Float32).Cpu().ToArray<float>());
    }

    [Fact]
    public void Float32_to_bfloat16_keeps_representable_values_and_rounds_the_rest_to_nearest_even()
    {
        using var scope = TensorScope.Enter();
        // bfloat16 has 8 significant bits: 1 + 2^-8 is a tie (to even: 1), 1 + 3 * 2^-8 a tie (to even: 1 + 2^-6).
        float[] values = [1f, -2f, 0.5f, 3f, 1.00390625f, 1.01171875f, 3.14159f];
        var bf = Tensors.From(values).To(DType.BFloat16);
        Assert.Equal(DType.BFloat16, bf.DType);
        var back = bf.To(DType.Float32).ToArray<float>();
        Assert.Equal([1f, -2f, 0.5f, 3f, 1f, 1.015625f], back[..6]);
        Assert.InRange(back[6], 3.14159f - 0.0157f, 3.14159f + 0.0157f); // within half a bf16 ulp at 3 (2^-6)
        Assert.Equal(0x3F80, bf.ToArray<ushort>()[0]);
    }

    [Fact]
    public void Float32_to_float16_keeps_representable_values_and_overflows_to_infinity()
    {
        using var scope = TensorScope.Enter();
        float[] values = [1f, -2f, 0.5f, 65504f, 1e5f];
        var h = Tensors.From(values).To(DType.Float16);
        Assert.Equal(DType.Float16, h.DType);
        var halves = h.ToArray<Half>();
        Assert.Equal([(Half)1f, (Half)(-2f), (Half)0.5f, Half.MaxValue, Half.PositiveInfinity], halves);
        Assert.Equal([1f, -2f, 0.5f, 65504f, float.PositiveInfinity], h.To(DType.Float32).ToArray<float>());
    }

    [Fact]
    public void Float_to_integer_conversion_truncates_toward_zero()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.From(new[] { 1.7f, -1.7f, 2f, -0.5f });
        Assert.Equal([1L, -1L, 2L, 0L], t.To(DType.Int64).ToArray<long>());
        Assert.Equal([1, -1, 2, 0], t.To(DType.Int32).ToArray<int>());
    }

    [Fact]
    public void Conversion_to_and_from_bool_maps_nonzero_to_true_and_true_to_one()
    {
        using var scope = TensorScope.Enter();
        var ints = Tensors.From(new long[] { 0, 3, -1 });
        var b = ints.To(DType.Bool);
        Assert.Equal(DType.Bool, b.DType);
        Assert.Equal([false, true, true], b.ToArray<bool>());
        Assert.Equal([0L, 1L, 1L], b.To(DType.Int64).ToArray<long>());
        Assert.Equal([0f, 1f, 1f], b.To(DType.Float32).ToArray<float>());
        Assert.Equal([false, true, false], Tensors.From(new[] { 0.0, 0.1, -0.0 }).To(DType.Bool).ToArray<bool>());
    }

    [Fact]
    public void Int64_to_int32_and_float_keeps_values()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.From(new long[] { -5, 0, 123456 });
        Assert.Equal([-5, 0, 123456], t.To(DType.Int32).ToArray<int>());
        Assert.Equal([-5f, 0f, 123456f], t.To(DType.Float32).ToArray<float>());
        // bfloat16 keeps 8 significant bits: 123456 = 241.125 * 2^9 rounds to 241 * 2^9.
        Assert.Equal([-5L, 0L, 123392L], t.To(DType.BFloat16).To(DType.Int64).ToArray<long>());
    }

    [Fact]
    public void To_the_same_dtype_and_device_shares_storage_unless_a_copy_is_asked_for()
    {
        using var scope = TensorScope.Enter();
        var t = Tensors.Ones([4]);
        Assert.Equal(t.DataPointer, t.To(DType.Float32).DataPointer);
        Assert.Equal(t.DataPointer, t.Cpu().DataPointer);
        var copy = t.To(Device.Cpu, DType.Float32, copy: true);
        Assert.NotEqual(t.DataPointer, copy.DataPointer);
        copy.Fill_(3);
        Assert.Equal([1f, 1f, 1f, 1f], t.ToArray<float>());
    }

    [Theory]
    [InlineData("float32", DType.Float32)]
    [InlineData("fp32", DType.Float32)]
    [InlineData("float", DType.Float32)]
    [InlineData("bfloat16", DType.BFloat16)]
    [InlineData("BF16", DType.BFloat16)]
    [InlineData("float16", DType.Float16)]
    [InlineData("fp16", DType.Float16)]
    [InlineData("half", DType.Float16)]
    [InlineData("float64", DType.Float64)]
    [InlineData("fp64", DType.Float64)]
    [InlineData("double", DType.Float64)]
    [InlineData("int64", DType.Int64)]
    [InlineData("long", DType.Int64)]
    [InlineData("int32", DType.Int32)]
    [InlineData("int", DType.Int32)]
    [InlineData(" bool ", DType.Bool)]
    [InlineData("uint8", DType.UInt8)]
    public void DTypes_Parse_accepts_every_documented_spelling(string text, DType expected) =>
        Assert.Equal(expected, DTypes.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("float8")]
    [InlineData("int16")]
    [InlineData("bf 16")]
    public void DTypes_Parse_of_an_unknown_name_throws_FormatException_naming_it(string text)
    {
        var e = Assert.Throws<FormatException>(() => DTypes.Parse(text));
        Assert.Contains($"'{text}'", e.Message);
    }

    [Fact]
    public void DType_facts_give_sizes_names_and_floating_point_kinds()
    {
        Assert.Equal(1, DType.Bool.ElementSize());
        Assert.Equal(1, DType.UInt8.ElementSize());
        Assert.Equal(2, DType.BFloat16.ElementSize());
        Assert.Equal(2, DType.Float16.ElementSize());
        Assert.Equal(4, DType.Float32.ElementSize());
        Assert.Equal(4, DType.Int32.ElementSize());
        Assert.Equal(8, DType.Float64.ElementSize());
        Assert.Equal(8, DType.Int64.ElementSize());
        Assert.True(DType.BFloat16.IsFloatingPoint());
        Assert.False(DType.Int64.IsFloatingPoint());
        Assert.False(DType.Bool.IsFloatingPoint());
        Assert.Equal("bfloat16", DType.BFloat16.Name());
        foreach (var t in Enum.GetValues<DType>()) Assert.Equal(t, DTypes.Parse(t.Name()));
    }

    [Fact]
    public void Every_DType_round_trips_through_libtorch_with_its_element_size()
    {
        using var scope = TensorScope.Enter();
        foreach (var t in Enum.GetValues<DType>())
        {
            var z = Tensors.Zeros([3], t);
            Assert.Equal(t, z.DType);
            Assert.Equal(0.0, z.Sum().To(DType.Float64).ToDouble());
        }
    }

    [Theory]
    [InlineData("cpu", DeviceType.Cpu, -1)]
    [InlineData(" CPU ", DeviceType.Cpu, -1)]
    [InlineData("cuda", DeviceType.Cuda, -1)]
    [InlineData("cuda:0", DeviceType.Cuda, 0)]
    [InlineData("cuda:1", DeviceType.Cuda, 1)]
    public void Device_Parse_reads_cpu_cuda_and_cuda_with_an_index(string text, DeviceType type, int index)
    {
        var d = Device.Parse(text);
        Assert.Equal(type, d.Type);
        Assert.Equal(index, d.Index);
        Assert.Equal(type == DeviceType.Cpu, d.IsCpu);
        Assert.Equal(type == DeviceType.Cuda, d.IsCuda);
    }

    [Fact]
    public void Device_Parse_of_auto_is_Device_Auto()
    {
        Assert.Equal(Device.Auto, Device.Parse("auto"));
        Assert.Equal(TorchRuntime.CudaIsAvailable ? Device.Cuda : Device.Cpu, Device.Parse("AUTO"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("cpu:0")]
    public void Device_Parse_of_a_bad_string_throws_FormatException(string text) =>
        Assert.Throws<FormatException>(() => Device.Parse(text));

    [Fact]
    public void Device_ToString_gives_the_parseable_spelling()
    {
        Assert.Equal("cpu", Device.Cpu.ToString());
        Assert.Equal("cuda", Device.Cuda.ToString());
        Assert.Equal("cuda:1", new Device(DeviceType.Cuda, 1).ToString());
        Assert.Equal(new Device(DeviceType.Cuda, 1), Device.Parse(new Device(DeviceType.Cuda, 1).ToString()));
    }

    [Fact]
    public void Device_Auto_is_the_cpu_without_CUDA()
    {
        Assert.SkipWhen(TorchRuntime.CudaIsAvailable, "CUDA is present; Auto is CUDA here");
        Assert.Equal(Device.Cpu, Device.Auto);
    }

    [Fact]
    public void Moving_to_cuda_without_CUDA_throws_TorchException_and_the_process_carries_on()
    {
        Assert.SkipWhen(TorchRuntime.CudaIsAvailable, "CUDA is present");
        using var scope = TensorScope.Enter();
        var t = Tensors.From(new[] { 1f, 2f });
        var e = Assert.Throws<TorchException>(() => t.To(Device.Cuda));
        Assert.Equal("to", e.Operation);
        Assert.Contains("cuda", e.NativeMessage, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Exception raised from", e.Message);
        Assert.Throws<TorchException>(() => Tensors.Zeros([2], device: Device.Cuda));

        Assert.Equal([2f, 3f], (t + 1).ToArray<float>());
        Assert.Equal(DeviceType.Cpu, t.Device.Type);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void A_tensor_moved_to_a_device_reports_it_and_comes_back_unchanged(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var cpu = Tensors.From(new[] { 1.5, -2.5, 4.0 });
        var moved = cpu.To(device);
        Assert.Equal(device.Type, moved.Device.Type);
        if (device.IsCuda) Assert.True(moved.Device.Index >= 0);
        var back = moved.Cpu();
        Assert.Equal(DeviceType.Cpu, back.Device.Type);
        Assert.Equal([1.5, -2.5, 4.0], back.ToArray<double>());
    }
}
