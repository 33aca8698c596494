using System.Diagnostics;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.Benchmarks;

/// <summary>What <see cref="SaeBenchmark"/> measures: SAE training steps on in-memory synthetic activations.</summary>
public sealed record SaeBenchmarkOptions
{
    /// <summary>The SAE (architecture, d_in, d_sae, k, kernels).</summary>
    public SaeOptions Sae { get; init; } = new() { DIn = 512, DSae = 4096, Kind = SaeKind.Relu };
    /// <summary>Rows per step.</summary>
    public int Batch { get; init; } = 4096;
    /// <summary>Untimed steps first.</summary>
    public int Warmup { get; init; } = 3;
    /// <summary>Timed steps.</summary>
    public int Steps { get; init; } = 5;
    /// <summary>float32, or bfloat16 autocast (float32 master weights and Adam, as the trainer does).</summary>
    public DType DType { get; init; } = DType.Float32;
    /// <summary>Adam's learning rate (default: 1e-4 relu, 2e-4 otherwise, as ../shared/bench/sae_ref.py).</summary>
    public double? Lr { get; init; }
    /// <summary>Batches in the data pool, cycled (sae_ref.py: 4).</summary>
    public int PoolBatches { get; init; } = 4;
    /// <summary>Seed of the data and the init.</summary>
    public ulong Seed { get; init; }
    /// <summary>Where to run.</summary>
    public Device Device { get; init; } = Device.Cpu;
}

/// <summary>
/// The result: tokens/s over the timed steps (as sae_ref.py's rate: batch · steps / their total time),
/// GFLOP/s with the dense count 12·d_in·d_sae per token (also for sparse kernels: "dense-equivalent"),
/// the median step, and the first and last loss.
/// </summary>
public sealed record SaeBenchmarkResult(double TokensPerSecond, double Gflops, double MedianStepMilliseconds, double FirstLoss, double LastLoss, bool SparseKernels, int Threads, SaeBenchmarkOptions Options);

/// <summary>
/// Times full training steps (forward, backward, the architecture's gradient and decoder fix-ups,
/// Adam) on the data recipe of ../shared/bench/sae_ref.py's make_data, so the two compare directly.
/// </summary>
public static class SaeBenchmark
{
    /// <summary>Runs the benchmark.</summary>
    public static SaeBenchmarkResult Run(SaeBenchmarkOptions o)
    {
        using var scope = TensorScope.Enter();
        using var gen = new Generator(o.Seed);
        var data = MakeData(o.Batch * o.PoolBatches, o.Sae.DIn, rank: 64, gen).To(o.Device);
        using var sae = SaeFactory.Create(o.Sae, gen, o.Device);
        var lr = o.Lr ?? (o.Sae.Kind == SaeKind.Relu ? 1e-4 : 2e-4);
        using var adam = new Adam(sae.Parameters.Select(p => p.Value), lr);
        var context = new SaeStepContext();
        double Step(int i)
        {
            using var step = TensorScope.Enter();
            var x = data.Narrow(0, (long)(i % o.PoolBatches) * o.Batch, o.Batch);
            SaeForward forward;
            using (o.DType == DType.Float32 ? null : TorchRuntime.Autocast(o.Device, o.DType))
                forward = sae.TrainingForward(x, context);
            forward.Loss.Backward();
            sae.BeforeOptimizerStep();
            adam.Step();
            sae.AfterOptimizerStep();
            adam.ZeroGrad();
            return forward.Loss.ToDouble();   // also waits for CUDA
        }

        var first = double.NaN;
        for (var i = 0; i < o.Warmup; i++)
        {
            var loss = Step(i);
            if (i == 0) first = loss;
        }
        var times = new double[o.Steps];
        var last = double.NaN;
        for (var i = 0; i < o.Steps; i++)
        {
            var sw = Stopwatch.StartNew();
            last = Step(o.Warmup + i);
            times[i] = sw.Elapsed.TotalSeconds;
            if (o.Warmup == 0 && i == 0) first = last;
        }
        var tokensPerSecond = (double)o.Batch * o.Steps / times.Sum();
        Array.Sort(times);
        var median = times.Length % 2 == 1 ? times[times.Length / 2] : (times[times.Length / 2 - 1] + times[times.Length / 2]) / 2;
        var sparse = sae is TopKSae t && t.UsesSparseKernels(autocast: o.DType != DType.Float32);
        return new SaeBenchmarkResult(tokensPerSecond, 12.0 * o.Sae.DIn * o.Sae.DSae * tokensPerSecond / 1e9, median * 1e3, first, last, sparse, TorchRuntime.Threads, o);
    }

    /// <summary>
    /// sae_ref.py's make_data: Gaussian rows with rank-<paramref name="rank"/> structure and a decaying
    /// spectrum (3 → 0.3), isotropic noise 0.3 and a mean offset 0.5, scaled so that E‖x‖ = √d_in.
    /// [n, dIn] float32 on the CPU.
    /// </summary>
    public static Tensor MakeData(int n, int dIn, int rank, Generator generator)
    {
        using var scope = TensorScope.Enter();
        var u = Tensors.Randn([rank, dIn], generator) / Math.Sqrt(dIn);
        var spectrum = 3.0 + Tensors.Arange(rank, Device.Cpu).To(DType.Float32) * ((0.3 - 3.0) / Math.Max(1, rank - 1));
        var z = Tensors.Randn([n, rank], generator) * spectrum;
        var x = z.Mm(u) * Math.Sqrt((double)dIn / rank);
        x.Add_(Tensors.Randn([n, dIn], generator) * 0.3);
        x.Add_(Tensors.Randn([1, dIn], generator) * 0.5);
        x.Mul_(Math.Sqrt(dIn) / x.Norm(2, 1).Mean().ToDouble());
        return scope.Keep(x.Contiguous());
    }
}
