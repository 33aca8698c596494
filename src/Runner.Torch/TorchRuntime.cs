namespace Runner.Torch;

/// <summary>Process-wide settings and facts of libtorch: threads, seeds, grad mode, autocast, CUDA, versions.</summary>
public static class TorchRuntime
{
    /// <summary>
    /// Intra-op threads of libtorch and of OpenBLAS's own pool, set together. Default: the core
    /// count, or $RUNNER_THREADS, applied when the shim loads. With OpenMP a thread that has already
    /// run parallel work keeps its count, so set this before work starts.
    /// </summary>
    public static int Threads
    {
        get => NativeMethods.Check(NativeMethods.rt_get_num_threads(), "get_num_threads");
        set
        {
            if (value < 1) throw new ArgumentOutOfRangeException(nameof(value), value, "thread count must be at least 1");
            NativeMethods.Check(NativeMethods.rt_set_num_threads(value), "set_num_threads");
        }
    }

    /// <summary>OpenBLAS's thread count, or -1 when OpenBLAS is not the BLAS in use.</summary>
    public static int OpenBlasThreads => NativeMethods.rt_openblas_num_threads();

    /// <summary>Seeds the global random streams of every device.</summary>
    public static void ManualSeed(ulong seed) => NativeMethods.Check(NativeMethods.rt_manual_seed(seed), "manual_seed");

    /// <summary>True when libtorch was built with CUDA and a device is present.</summary>
    public static bool CudaIsAvailable => NativeMethods.Check(NativeMethods.rt_cuda_is_available(), "cuda_is_available") == 1;

    /// <summary>Number of CUDA devices (0 without CUDA).</summary>
    public static int CudaDeviceCount => CudaIsAvailable ? NativeMethods.Check(NativeMethods.rt_cuda_device_count(), "cuda_device_count") : 0;

    /// <summary>The name of CUDA device <paramref name="index"/> from the driver ("" when unknown).</summary>
    public static string CudaDeviceName(int index) => NativeMethods.Text(NativeMethods.rt_cuda_device_name(index));

    /// <summary>
    /// The shim's ABI and behaviour version: bump it when src/Native changes what any export computes.
    /// Part of every stage key, with <see cref="Version"/>.
    /// </summary>
    public const int ShimAbiVersion = 1;

    /// <summary>libtorch's version, e.g. "1.13.1" (as its headers say).</summary>
    public static string Version => NativeMethods.Text(NativeMethods.rt_torch_version());

    /// <summary>Path of the loaded libtorch library.</summary>
    public static string LibraryPath => NativeMethods.Text(NativeMethods.rt_torch_library_path());

    /// <summary>Path of the loaded native shim.</summary>
    public static string ShimPath
    {
        get
        {
            _ = Version; // loads the shim
            return NativeLibraryLoader.LoadedFrom ?? "";
        }
    }

    /// <summary>The BLAS in use: OpenBLAS's configuration and library path, when it is OpenBLAS.</summary>
    public static string BlasInfo => NativeMethods.Text(NativeMethods.rt_blas_info());

    /// <summary>libtorch's build configuration (at::show_config()).</summary>
    public static string BuildConfig => NativeMethods.Text(NativeMethods.Check(NativeMethods.rt_build_config(), "show_config"));

    /// <summary>Whether operations are being recorded for autograd on this thread.</summary>
    public static bool IsGradEnabled => NativeMethods.rt_grad_enabled() == 1;

    /// <summary>Stops autograd recording on this thread until disposed (inference, optimizer steps).</summary>
    public static GradModeScope NoGrad() => new(false);

    /// <summary>Turns autograd recording back on inside a <see cref="NoGrad"/> region.</summary>
    public static GradModeScope EnableGrad() => new(true);

    /// <summary>
    /// Mixed precision on this thread until disposed: matmuls and linear layers on <paramref name="device"/>
    /// run in <paramref name="dtype"/> (bfloat16 on CPU; float16 or bfloat16 on CUDA) while parameters,
    /// gradients and reductions stay float32.
    /// </summary>
    public static AutocastScope Autocast(Device device, DType dtype = DType.BFloat16) => new(device, dtype);

    /// <summary>Whether autocast is on for <paramref name="device"/>'s type on this thread.</summary>
    public static bool IsAutocastEnabled(Device device) => NativeMethods.Check(NativeMethods.rt_autocast_enabled((int)device.Type), "autocast_enabled") == 1;
}
