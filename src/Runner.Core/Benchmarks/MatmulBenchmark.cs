using System.Diagnostics;
using Runner.Torch;

namespace Runner.Core.Benchmarks;

/// <summary>What <see cref="MatmulBenchmark"/> measures: C[m,n] = A[m,k] @ B[k,n].</summary>
public sealed record MatmulBenchmarkOptions
{
    /// <summary>Rows of A.</summary>
    public int M { get; init; } = 4096;
    /// <summary>Columns of A, rows of B.</summary>
    public int K { get; init; } = 512;
    /// <summary>Columns of B.</summary>
    public int N { get; init; } = 8192;
    /// <summary>Untimed calls first.</summary>
    public int Warmup { get; init; } = 2;
    /// <summary>Timed calls; the median is reported.</summary>
    public int Iterations { get; init; } = 10;
    /// <summary>float32, or bfloat16 (inputs in bf16, oneDNN/AMX on CPU).</summary>
    public DType DType { get; init; } = DType.Float32;
    /// <summary>Where to run.</summary>
    public Device Device { get; init; } = Device.Cpu;
}

/// <summary>The result: GFLOP/s from the median call time (2·m·k·n flops per call).</summary>
public sealed record MatmulBenchmarkResult(double Gflops, double MedianMilliseconds, double MinMilliseconds, int Threads, MatmulBenchmarkOptions Options);

/// <summary>
/// Times one matrix product through the binding into a preallocated output, as
/// ../shared/bench/sgemm_ref.py does with torch.matmul(out=): the machine's practical GEMM roof.
/// </summary>
public static class MatmulBenchmark
{
    /// <summary>Runs the benchmark.</summary>
    public static MatmulBenchmarkResult Run(MatmulBenchmarkOptions o)
    {
        using var scope = TensorScope.Enter();
        using var gen = new Generator(0);
        var a = Tensors.Randn([o.M, o.K], gen).To(o.Device, o.DType);
        var b = Tensors.Randn([o.K, o.N], gen).To(o.Device, o.DType);
        var c = Tensors.Empty([o.M, o.N], o.DType, o.Device);
        for (var i = 0; i < o.Warmup; i++) Sync(c.MatmulInto(a, b), o.Device);
        var times = new double[o.Iterations];
        for (var i = 0; i < o.Iterations; i++)
        {
            var sw = Stopwatch.StartNew();
            Sync(c.MatmulInto(a, b), o.Device);
            times[i] = sw.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        var median = times.Length % 2 == 1 ? times[times.Length / 2] : (times[times.Length / 2 - 1] + times[times.Length / 2]) / 2;
        var flops = 2.0 * o.M * o.K * o.N;
        return new MatmulBenchmarkResult(flops / (median / 1e3) / 1e9, median, times[0], TorchRuntime.Threads, o);
    }

    // CUDA calls are asynchronous: reading one element waits for the product to finish.
    private static void Sync(Tensor c, Device device)
    {
        if (!device.IsCuda) return;
        using var scope = TensorScope.Enter();
        _ = c.Select(0, 0).Select(0, 0).ToDouble();
    }
}
