namespace Runner.Torch.Tests;

public sealed partial class RuntimeTests
{
    [Fact]
    public void Version_is_a_libtorch_1_or_2_version()
    {
        var v = TorchRuntime.Version;
        Assert.True(v.StartsWith("1.", StringComparison.Ordinal) || v.StartsWith("2.", StringComparison.Ordinal), v);
        Assert.Matches(@"^\d+\.\d+\.\d+", v);
    }

    [Fact]
    public void LibraryPath_names_the_loaded_libtorch()
    {
        var path = TorchRuntime.LibraryPath;
        Assert.Contains("libtorch", path);
        Assert.True(File.Exists(path), path);
    }

    [Fact]
    public void ShimPath_is_the_loaded_native_shim()
    {
        var path = TorchRuntime.ShimPath;
        Assert.EndsWith("librunner_torch.so", path);
        Assert.True(File.Exists(path), path);
    }

    [Fact]
    public void BlasInfo_and_BuildConfig_describe_the_build()
    {
        Assert.False(string.IsNullOrWhiteSpace(TorchRuntime.BlasInfo));
        Assert.Contains("PyTorch built with", TorchRuntime.BuildConfig);
        if (TorchRuntime.OpenBlasThreads >= 0) Assert.Contains("OpenBLAS", TorchRuntime.BlasInfo);
    }

    [Fact]
    public void Threads_defaults_to_the_core_count_or_RUNNER_THREADS()
    {
        var expected = int.TryParse(Environment.GetEnvironmentVariable("RUNNER_THREADS"), out var t) && t > 0 ? t : Environment.ProcessorCount;
        Assert.Equal(expected, TorchRuntime.Threads);
    }

    [Fact]
    public void Setting_Threads_round_trips_and_reaches_OpenBLAS()
    {
        var old = TorchRuntime.Threads;
        try
        {
            TorchRuntime.Threads = 1;
            Assert.Equal(1, TorchRuntime.Threads);
            if (TorchRuntime.OpenBlasThreads >= 0) Assert.Equal(1, TorchRuntime.OpenBlasThreads);
            using (var scope = TensorScope.Enter())
                Assert.Equal(64.0, Tensors.Ones([8, 8]).Matmul(Tensors.Ones([8, 8])).Sum().ToDouble() / 8);   // still computes
            TorchRuntime.Threads = old + 1;
            Assert.Equal(old + 1, TorchRuntime.Threads);
        }
        finally
        {
            TorchRuntime.Threads = old;
        }
        Assert.Equal(old, TorchRuntime.Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Threads = 0);
        Assert.Equal(old, TorchRuntime.Threads);
    }

    [Fact]
    public void Threads_set_on_one_thread_apply_to_a_thread_that_starts_work_later()
    {
        var old = TorchRuntime.Threads;
        try
        {
            TorchRuntime.Threads = 1;
            var seen = -1;
            var thread = new Thread(() => seen = TorchRuntime.Threads);
            thread.Start();
            thread.Join();
            Assert.Equal(1, seen);
        }
        finally
        {
            TorchRuntime.Threads = old;
        }
    }

    [Fact]
    public void CudaDeviceCount_is_zero_without_CUDA_and_positive_with_it()
    {
        if (TorchRuntime.CudaIsAvailable)
        {
            Assert.True(TorchRuntime.CudaDeviceCount > 0);
            Assert.False(string.IsNullOrEmpty(TorchRuntime.CudaDeviceName(0)));
        }
        else
        {
            Assert.Equal(0, TorchRuntime.CudaDeviceCount);
        }
    }

    [Fact]
    public void Binding_another_native_function_later_does_not_reset_the_thread_count()
    {
        var old = TorchRuntime.Threads;
        try
        {
            TorchRuntime.Threads = 1;
            var first = NativeLibraryLoader.Resolve(NativeMethods.Lib, typeof(Tensor).Assembly, null);
            var again = NativeLibraryLoader.Resolve(NativeMethods.Lib, typeof(Tensor).Assembly, null);
            Assert.Equal(first, again);
            Assert.Equal(1, TorchRuntime.Threads);
            if (TorchRuntime.OpenBlasThreads >= 0) Assert.Equal(1, TorchRuntime.OpenBlasThreads);
        }
        finally
        {
            TorchRuntime.Threads = old;
        }
    }

    [Fact]
    public void OpenMP_waits_passively_unless_the_user_chose_a_policy()
    {
        _ = TorchRuntime.Version; // the shim, and libgomp with it, are loaded
        var native = System.Runtime.InteropServices.Marshal.PtrToStringUTF8(LibC.getenv("OMP_WAIT_POLICY"));
        var chosen = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Assert.Equal(string.IsNullOrEmpty(chosen) ? "PASSIVE" : chosen, native);
    }

    private static partial class LibC
    {
        [System.Runtime.InteropServices.LibraryImport("libc", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
        internal static partial IntPtr getenv(string name);
    }
}
