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

        // Forward: t = f / F + c · layers · d per token, from a width-bound shape and a matmul-bound one.
        var (fa, ta, la, da) = Forward(device, d: 64, layers: 2, heads: 4, batch: 32, context: 64);
        var (fb, tb, lb, db) = Forward(device, d: 384, layers: 2, heads: 6, batch: 8, context: 128);
        var (forwardRate, forwardWidth) = Fit(fa, la * (double)da, ta, fb, lb * (double)db, tb);

        // SAE training: t = a + B·12·d_in·d_sae / G per step, from a step-overhead-bound shape and a matmul-bound one.
        var (sa, sta) = Sae(device, dIn: 64, dSae: 512, batch: 256);
        var (sb, stb) = Sae(device, dIn: 256, dSae: 4096, batch: 1024);
        var (saeRate, saeStep) = Fit(sa, 1, sta, sb, 1, stb);

        return new CalibrationFigures
        {
            ForwardGflops = forwardRate / 1e9,
            ForwardSecondsPerLayerWidth = forwardWidth,
            SaeGflops = saeRate / 1e9,
            SaeSecondsPerStep = saeStep,
            Bf16Speedup = Bf16Speedup(device),
            BaseRssBytes = baseRss,
            Threads = TorchRuntime.Threads,
            MeasuredSeconds = Math.Round(watch.Elapsed.TotalSeconds, 2),
        };
    }

    /// <summary>
    /// Solves t = x / rate + y · c through two points (x flops, y the other term's size, t seconds); when the
    /// system gives a negative term (noise), keeps the rate of the larger shape and drops the other term.
    /// </summary>
    public static (double Rate, double C) Fit(double x1, double y1, double t1, double x2, double y2, double t2)
    {
        var det = x1 * y2 - x2 * y1;
        if (det != 0)
        {
            var inverseRate = (t1 * y2 - t2 * y1) / det;
            var c = (x1 * t2 - x2 * t1) / det;
            if (inverseRate > 0 && c >= 0) return (1 / inverseRate, c);
        }
        return (x2 / t2, 0);
    }

    private static (double Flops, double Seconds, int Layers, int D) Forward(Device device, int d, int layers, int heads, int batch, int context)
    {
        var config = ModelConfig.Create("gpt2", 512, d, layers, heads, 1024);
        var result = CaptureBenchmark.Run(new CaptureBenchmarkOptions
        {
            Config = config, Layer = layers - 1, Site = HookSite.ResidPost, Batch = batch, Context = context,
            Warmup = 1, Iterations = 4, Device = device, CleanThreshold = double.PositiveInfinity,
        });
        return (result.FlopPerToken, 1 / result.TokensPerSecondAll, layers, d);
    }

    // (FLOPs of a step, seconds of a step)
    private static (double Flops, double Seconds) Sae(Device device, int dIn, int dSae, int batch)
    {
        var result = SaeBenchmark.Run(new SaeBenchmarkOptions
        {
            Sae = new SaeOptions { DIn = dIn, DSae = dSae, Kind = SaeKind.Relu },
            Batch = batch, Warmup = 1, Steps = 4, Device = device,
        });
        return (12.0 * dIn * dSae * batch, batch / result.TokensPerSecond);
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
