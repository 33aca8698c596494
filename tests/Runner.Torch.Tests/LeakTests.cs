using System.Diagnostics;

namespace Runner.Torch.Tests;

public sealed class LeakTests(ITestOutputHelper output)
{
    /// <summary>Resident set size from /proc/self/statm (fresh, unlike a cached Process object).</summary>
    private static long ResidentBytes()
    {
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
    }

    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    public void Training_steps_leave_no_live_native_tensors_and_flat_resident_memory()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "reads /proc/self/statm");
        const int warmup = 50, steps = 3000, batch = 64;
        using var g = new Generator(2718);

        // parameters and the fixed teacher live outside any step's scope
        Tensor w1, b1, w2, b2, teacher;
        using (var init = TensorScope.Enter())
        {
            w1 = init.Keep((Tensors.Randn([64, 32], g) * (1 / Math.Sqrt(32))).RequiresGrad_());
            b1 = init.Keep(Tensors.Zeros([64]).RequiresGrad_());
            w2 = init.Keep((Tensors.Randn([32, 64], g) * (1 / Math.Sqrt(64))).RequiresGrad_());
            b2 = init.Keep(Tensors.Zeros([32]).RequiresGrad_());
            teacher = init.Keep(Tensors.Randn([32, 32], g) * (1 / Math.Sqrt(32)));
        }
        Tensor[] parameters = [w1, b1, w2, b2];
        using var adam = new Adam(parameters, lr: 3e-3);

        double Step()
        {
            using var scope = TensorScope.Enter();
            var x = Tensors.Randn([batch, 32], g);
            Tensor target;
            using (TorchRuntime.NoGrad()) target = x.Matmul(teacher).Tanh();
            var hidden = Functional.Linear(x, w1, b1).Relu();
            var prediction = Functional.Linear(hidden, w2, b2);
            var loss = (prediction - target).Square().Mean();
            loss.Backward();
            Gradients.ClipNorm(parameters, 1.0);
            adam.Step();
            adam.ZeroGrad();
            return loss.ToDouble();
        }

        try
        {
            var losses = new double[steps];
            for (var i = 0; i < warmup; i++) losses[i] = Step();
            Settle();
            var liveBaseline = Tensor.LiveCount;
            var rssBaseline = ResidentBytes();
            var clock = Stopwatch.StartNew();

            for (var i = warmup; i < steps; i++) losses[i] = Step();

            clock.Stop();
            Settle();
            var live = Tensor.LiveCount;
            var rssGrowth = ResidentBytes() - rssBaseline;
            var early = losses.Take(warmup).Average();
            var late = losses.TakeLast(warmup).Average();
            output.WriteLine($"{steps - warmup} steps in {clock.Elapsed.TotalSeconds:F2} s; live tensors {liveBaseline} -> {live}; RSS growth {rssGrowth / 1e6:F1} MB; loss {early:F4} -> {late:F4}");

            Assert.Equal(liveBaseline, live);
            Assert.True(rssGrowth < 64L << 20, $"resident memory grew by {rssGrowth / 1e6:F1} MB");
            Assert.True(late < 0.5 * early, $"loss did not fall: {early} -> {late}");
            Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        }
        finally
        {
            foreach (var t in parameters) t.Dispose();
            teacher.Dispose();
        }
    }

    [Fact]
    public void Failing_ops_inside_scopes_leave_no_live_native_tensors()
    {
        var baseline = Approx.SettledLiveCount();
        for (var i = 0; i < 100; i++)   // libtorch captures a C++ backtrace per error: ~2 ms each
        {
            using var scope = TensorScope.Enter();
            var a = Tensors.Ones([2, 3]);
            Assert.Throws<TorchException>(() => a.Matmul(a));
            Assert.Throws<TorchException>(() => a.TopK(7));
            Assert.Throws<TorchException>(() => Tensors.Cat([a, Tensors.Ones([3])]));
        }
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public unsafe void Buffers_wrapped_in_a_loop_are_all_released()
    {
        var baseline = Approx.SettledLiveCount();
        var released = 0;
        for (var i = 0; i < 200; i++)
        {
            using var scope = TensorScope.Enter();
            var p = (float*)System.Runtime.InteropServices.NativeMemory.Alloc(16 * sizeof(float));
            var t = Tensors.FromBuffer((IntPtr)p, [4, 4], DType.Float32, new Releaser(() =>
            {
                System.Runtime.InteropServices.NativeMemory.Free(p);
                released++;
            }));
            t.Fill_(i);
            var view = t.Narrow(0, 1, 2).T;
            Assert.Equal(2.0 * i, view.Select(0, 0).Sum().ToDouble());   // two elements of value i
        }
        Assert.Equal(200, released);
        Assert.Equal(baseline, Tensor.LiveCount);
    }

    [Fact]
    public void Autograd_and_autocast_loops_leave_no_live_native_tensors()
    {
        using var g = new Generator(5);
        Tensor w;
        using (var init = TensorScope.Enter()) w = init.Keep(Tensors.Randn([8, 8], g).RequiresGrad_());
        try
        {
            using var adam = new Adam([w], lr: 1e-3);
            using (TensorScope.Enter())
            {
                Functional.Linear(Tensors.Ones([1, 8]), w).Sum().Backward();   // warm up: creates the moments
                adam.Step();
                adam.ZeroGrad();
            }
            var baseline = Approx.SettledLiveCount();
            for (var i = 0; i < 300; i++)
            {
                using var scope = TensorScope.Enter();
                var x = Tensors.Randn([4, 8], g);
                Tensor loss;
                using (TorchRuntime.Autocast(Device.Cpu))
                    loss = Functional.CrossEntropy(Functional.Linear(x, w).To(DType.Float32), Tensors.RandInt(0, 8, [4], g));
                loss.Backward(retainGraph: i % 2 == 0);
                _ = w.Grad!.Norm().ToDouble();
                adam.Step();
                adam.ZeroGrad();
            }
            Assert.Equal(baseline, Approx.SettledLiveCount());
        }
        finally
        {
            w.Dispose();
        }
    }

    private sealed class Releaser(Action release) : IDisposable
    {
        public void Dispose() => release();
    }
}
