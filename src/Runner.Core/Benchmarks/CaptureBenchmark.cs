using System.Diagnostics;
using Runner.Core.Models;
using Runner.Torch;

namespace Runner.Core.Benchmarks;

/// <summary>What <see cref="CaptureBenchmark"/> measures: activation capture (RunTo a hook point) on random token batches.</summary>
public sealed record CaptureBenchmarkOptions
{
    /// <summary>The hook point's layer. With <see cref="Site"/> resid_post, layer 5 runs 6 blocks, as ../shared/bench/gpt2_ref.py --layer 6.</summary>
    public int Layer { get; init; } = 5;
    /// <summary>The hook point's site.</summary>
    public HookSite Site { get; init; } = HookSite.ResidPost;
    /// <summary>Sequences per batch.</summary>
    public int Batch { get; init; } = 8;
    /// <summary>Tokens per sequence.</summary>
    public int Context { get; init; } = 128;
    /// <summary>Untimed batches first.</summary>
    public int Warmup { get; init; } = 3;
    /// <summary>Timed batches; the median is reported.</summary>
    public int Iterations { get; init; } = 10;
    /// <summary>float32 or bfloat16 (bf16 weights and matmuls).</summary>
    public DType DType { get; init; } = DType.Float32;
    /// <summary>libtorch and OpenBLAS threads (null: leave as they are).</summary>
    public int? Threads { get; init; }
    /// <summary>Random weights of this config (default GPT-2 small: 12 layers, d 768, 12 heads, vocab 50257), unless <see cref="CheckpointFolder"/> is set.</summary>
    public ModelConfig Config { get; init; } = ModelConfig.Create("gpt2", 50257, 768, 12, 12, 1024);
    /// <summary>A Hugging Face checkpoint folder to load instead of random weights.</summary>
    public string? CheckpointFolder { get; init; }
    /// <summary>Seed of the weights and of the token ids.</summary>
    public ulong Seed { get; init; }
    /// <summary>Where to run.</summary>
    public Device Device { get; init; } = Device.Cpu;
}

/// <summary>The result: tokens/s from the median batch (batch · context / median time), the median and fastest batch, the threads used.</summary>
public sealed record CaptureBenchmarkResult(double TokensPerSecond, double MedianMilliseconds, double MinMilliseconds, int Threads, CaptureBenchmarkOptions Options);

/// <summary>
/// Times <see cref="TransformerModel.RunTo"/> plus the copy of the activation into a preallocated
/// float32 buffer, as ../shared/bench/gpt2_ref.py's capture mode does, so the two compare directly.
/// </summary>
public static class CaptureBenchmark
{
    /// <summary>Runs the benchmark.</summary>
    public static CaptureBenchmarkResult Run(CaptureBenchmarkOptions o)
    {
        if (o.Threads is { } threads) TorchRuntime.Threads = threads;
        using var model = o.CheckpointFolder is { } folder
            ? TransformerModel.Load(folder, o.Device, o.DType)
            : TransformerModel.CreateRandom(o.Config, o.Seed, o.Device, o.DType);
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        using var gen = new Generator(o.Seed + 1);
        var point = new HookPoint(o.Layer, o.Site);
        var width = model.SiteWidth(o.Site);
        var batches = o.Warmup + o.Iterations;
        var ids = Tensors.RandInt(0, model.Config.VocabSize, [batches, o.Batch, o.Context], gen);
        var buffer = Tensors.Empty([(long)o.Iterations * o.Batch * o.Context, width], DType.Float32, o.Device);
        var times = new List<double>();
        for (var i = 0; i < batches; i++)
        {
            using var step = TensorScope.Enter();
            var sw = Stopwatch.StartNew();
            var activation = model.RunTo(ids.Select(0, i), point).Reshape(-1, width);   // [B·T, W]
            if (i >= o.Warmup)
            {
                buffer.Narrow(0, (long)(i - o.Warmup) * o.Batch * o.Context, (long)o.Batch * o.Context).Copy_(activation);
                if (o.Device.IsCuda) _ = buffer.Select(0, 0).Select(0, 0).ToDouble();   // waits for the GPU
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
        }
        times.Sort();
        var median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        return new CaptureBenchmarkResult((double)o.Batch * o.Context / (median / 1e3), median, times[0], TorchRuntime.Threads, o);
    }
}
