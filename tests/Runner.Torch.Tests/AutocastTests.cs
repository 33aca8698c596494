namespace Runner.Torch.Tests;

public sealed class AutocastTests
{
    /// <summary>Asserts |a - b| &lt;= rel * (|b| + rms(b)) elementwise: a relative tolerance that does not blow up near zero.</summary>
    private static void CloseRelative(Tensor expected, Tensor actual, double rel)
    {
        var e = Approx.Values(expected);
        var a = Approx.Values(actual);
        Assert.Equal(e.Length, a.Length);
        var rms = Math.Sqrt(e.Average(v => v * v));
        for (var i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= rel * (Math.Abs(e[i]) + rms), $"element {i}: expected {e[i]}, got {a[i]}");
    }

    [Fact]
    public void Matmul_inside_cpu_autocast_runs_in_bfloat16_close_to_the_float32_product()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(50);
        var a = Tensors.Randn([8, 16], g);
        var b = Tensors.Randn([16, 8], g);
        var reference = a.Matmul(b);
        Assert.Equal(DType.Float32, reference.DType);
        Tensor mixed;
        using (TorchRuntime.Autocast(Device.Cpu))
        {
            Assert.True(TorchRuntime.IsAutocastEnabled(Device.Cpu));
            mixed = a.Matmul(b);
            Assert.Equal(DType.BFloat16, Functional.Linear(a, b.T).DType);
            Assert.Equal(DType.Float32, (a + 1).DType);       // elementwise ops are not cast
        }
        Assert.Equal(DType.BFloat16, mixed.DType);
        CloseRelative(reference, mixed, 1e-2);
        Assert.False(mixed.To(DType.Float32).Equal(reference));   // it really was computed in lower precision

        Assert.False(TorchRuntime.IsAutocastEnabled(Device.Cpu));
        Assert.Equal(DType.Float32, a.Matmul(b).DType);
    }

    [Fact]
    public void Nested_autocast_scopes_restore_the_previous_state()
    {
        Assert.False(TorchRuntime.IsAutocastEnabled(Device.Cpu));
        using (TorchRuntime.Autocast(Device.Cpu))
        {
            using (TorchRuntime.Autocast(Device.Cpu)) Assert.True(TorchRuntime.IsAutocastEnabled(Device.Cpu));
            Assert.True(TorchRuntime.IsAutocastEnabled(Device.Cpu));
        }
        Assert.False(TorchRuntime.IsAutocastEnabled(Device.Cpu));

        var once = TorchRuntime.Autocast(Device.Cpu);
        once.Dispose();
        once.Dispose();                                          // a second Dispose changes nothing
        Assert.False(TorchRuntime.IsAutocastEnabled(Device.Cpu));
        Assert.False(TorchRuntime.IsAutocastEnabled(Device.Cuda));     // the CUDA flag is separate
    }

    [Fact]
    public void Autocast_is_per_thread()
    {
        using var autocast = TorchRuntime.Autocast(Device.Cpu);
        var other = true;
        var thread = new Thread(() => other = TorchRuntime.IsAutocastEnabled(Device.Cpu));
        thread.Start();
        thread.Join();
        Assert.False(other);
        Assert.True(TorchRuntime.IsAutocastEnabled(Device.Cpu));
    }

    [Fact]
    public void Training_under_autocast_keeps_float32_master_weights_and_gradients()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(51);
        var w = (Tensors.Randn([4, 8], g) * 0.1).RequiresGrad_();
        var bias = Tensors.Zeros([4]).RequiresGrad_();
        var x = Tensors.Randn([32, 8], g);
        var teacher = Tensors.Randn([4, 8], g);
        var target = Functional.Linear(x, teacher);
        using var adam = new Adam([w, bias], lr: 0.05);
        var losses = new List<double>();
        for (var i = 0; i < 30; i++)
        {
            using var step = TensorScope.Enter();
            Tensor loss;
            using (TorchRuntime.Autocast(Device.Cpu))
            {
                var y = Functional.Linear(x, w, bias);
                Assert.Equal(DType.BFloat16, y.DType);
                loss = Functional.MseLoss(y.To(DType.Float32), target);
            }
            losses.Add(loss.ToDouble());
            loss.Backward();
            Assert.Equal(DType.Float32, w.Grad!.DType);
            Assert.Equal(DType.Float32, bias.Grad!.DType);
            adam.Step();
            adam.ZeroGrad();
            Assert.Equal(DType.Float32, w.DType);
        }
        Assert.Equal(DType.Float32, adam.StateOf(w).ExpAvgSq!.DType);
        Assert.True(losses[^1] < 0.5 * losses[0], $"loss went from {losses[0]} to {losses[^1]}");
    }

    [Fact]
    public void Cpu_autocast_with_float16_throws_ArgumentException_and_changes_nothing()
    {
        Assert.Throws<ArgumentException>(() => TorchRuntime.Autocast(Device.Cpu, DType.Float16));
        Assert.Throws<ArgumentException>(() => TorchRuntime.Autocast(Device.Cuda, DType.Float32));
        Assert.False(TorchRuntime.IsAutocastEnabled(Device.Cpu));
        Assert.False(TorchRuntime.IsAutocastEnabled(Device.Cuda));
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Autocast_matmul_runs_in_the_devices_low_precision_type(string deviceName)
    {
        var device = Devices.Use(deviceName);
        var low = device.IsCuda ? DType.Float16 : DType.BFloat16;
        using var scope = TensorScope.Enter();
        using var g = new Generator(52);
        var a = Tensors.Randn([16, 32], g);
        var b = Tensors.Randn([32, 16], g);
        var reference = a.Matmul(b);                                    // fp32 on the CPU
        Tensor mixed;
        using (TorchRuntime.Autocast(device, low))
        {
            Assert.True(TorchRuntime.IsAutocastEnabled(device));
            mixed = a.To(device).Matmul(b.To(device));
        }
        Assert.False(TorchRuntime.IsAutocastEnabled(device));
        Assert.Equal(low, mixed.DType);
        Assert.Equal(device.Type, mixed.Device.Type);
        CloseRelative(reference, mixed.Cpu(), 1e-2);
        Assert.Equal(DType.Float32, a.To(device).Matmul(b.To(device)).DType);
    }
}
