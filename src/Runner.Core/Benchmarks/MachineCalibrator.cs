using System.Diagnostics;
using Runner.Core.Models;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.Benchmarks;

/// <summary>
/// A short calibration (a few seconds) for cost estimates: <see cref="CaptureBenchmark"/> on two small random
/// GPT-2 shapes, <see cref="SaeBenchmark"/> on two ReLU SAE shapes, and a float32 vs bfloat16 matmul, each fitted
/// to the two-term cost models of <see cref="CalibrationFigures"/>.
/// </summary>
public static class MachineCalibrator
{
    /// <summary>Measures this machine on <paramref name="device"/>.</summary>
    public static CalibrationFigures Measure(Device device)
    {
        var watch = Stopwatch.StartNew();
        TorchRuntime.Threads = TorchRuntime.Threads;   // loads libtorch: the baseline includes it
        var baseRss = Environment.WorkingSet;

        // Forward: t = N·f / F + a · layers per batch. A batch of 8 tokens through a narrow model is all overhead (a);
        // 512 tokens through a wider one are mostly matmuls (F, once the overhead is taken off).
        var (_, ta, la) = Forward(device, d: 64, layers: 2, heads: 4, batch: 1, context: 8);
        var (fb, tb, lb) = Forward(device, d: 512, layers: 2, heads: 8, batch: 4, context: 128);
        var forwardLayer = ta / la;
        var forwardRate0 = fb / Math.Max(tb - forwardLayer * lb, 0.2 * tb);
        // 512 tokens through the narrow model: what neither matmuls nor the fixed cost explain is elementwise work.
        var (fc, tc, lc) = Forward(device, d: 64, layers: 2, heads: 4, batch: 8, context: 64);
        var elementwise = Math.Max(0, tc - lc * forwardLayer - fc / forwardRate0) / (8 * 64 * lc * (double)ElementwisePerLayer(64, 256, 4, 64));
        var forwardRate = fb / Math.Max(tb - forwardLayer * lb - elementwise * 4 * 128 * lb * ElementwisePerLayer(512, 2048, 8, 128), 0.2 * tb);

        // SAE training: t = a + B·12·d_in·d_sae / G per step, the same way: a tiny step is all overhead, a large one mostly matmuls.
        var (_, saeStep) = Sae(device, dIn: 16, dSae: 64, batch: 64);
        var (sb, stb) = Sae(device, dIn: 256, dSae: 4096, batch: 1024);
        var saeRate = sb / Math.Max(stb - saeStep, 0.2 * stb);

        return new CalibrationFigures
        {
            ForwardGflops = forwardRate / 1e9,
            ForwardSecondsPerLayer = forwardLayer,
            ForwardSecondsPerElement = elementwise,
            SaeGflops = saeRate / 1e9,
            SaeSecondsPerStep = saeStep,
            Bf16Speedup = Bf16Speedup(device),
            BaseRssBytes = baseRss,
            Threads = TorchRuntime.Threads,
            MeasuredSeconds = Math.Round(watch.Elapsed.TotalSeconds, 2),
        };
    }

    /// <summary>
    /// Values an elementwise pass touches per token in one block (norms, residual adds, the MLP's activation, attention's
    /// scores and softmax): the unit of <see cref="CalibrationFigures.ForwardSecondsPerElement"/>.
    /// </summary>
    public static long ElementwisePerLayer(int dModel, int dMlp, int heads, int context) => 10L * dModel + 3L * dMlp + 3L * heads * context;

    // (FLOPs of a batch, median seconds of a batch, layers)
    private static (double Flops, double Seconds, int Layers) Forward(Device device, int d, int layers, int heads, int batch, int context)
    {
        var config = ModelConfig.Create("gpt2", 512, d, layers, heads, 1024);
        var result = CaptureBenchmark.Run(new CaptureBenchmarkOptions
        {
            Config = config, Layer = layers - 1, Site = HookSite.ResidPost, Batch = batch, Context = context,
            Warmup = 2, Iterations = 5, Device = device, CleanThreshold = double.PositiveInfinity,
        });
        return (result.FlopPerToken * batch * context, result.MedianMilliseconds / 1e3, layers);
    }

    // (FLOPs of a step, seconds of a step)
    private static (double Flops, double Seconds) Sae(Device device, int dIn, int dSae, int batch)
    {
        var result = SaeBenchmark.Run(new SaeBenchmarkOptions
        {
            Sae = new SaeOptions { DIn = dIn, DSae = dSae, Kind = SaeKind.Relu },
            Batch = batch, Warmup = 1, Steps = 4, Device = device,
        });
        return (12.0 * dIn * dSae * batch, result.MedianStepMilliseconds / 1e3);
    }

    private static double Bf16Speedup(Device device)
    {
        try
        {
            double Rate(DType dtype) => MatmulBenchmark.Run(new MatmulBenchmarkOptions
            {
                M = 1024, K = 1024, N = 1024, Iterations = 3, Warmup = 1, DType = dtype, Device = device,
            }).Gflops;
            return Math.Clamp(Rate(DType.BFloat16) / Rate(DType.Float32), 1, 4);
        }
        catch (TorchException)
        {
            return 1;   // no bf16 matmul here: estimate bf16 at the float32 rate
        }
    }
}
