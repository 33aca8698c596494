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
    /// <summary>Timed batches.</summary>
    public int Iterations { get; init; } = 10;
    /// <summary>float32 or bfloat16 (bf16 weights and matmuls).</summary>
    public DType DType { get; init; } = DType.Float32;
    /// <summary>libtorch and OpenBLAS threads (null: leave as they are).</summary>
    public int? Threads { get; init; }
    /// <summary>Random weights of this config (default GPT-2 small, <see cref="CaptureBenchmark.RandomConfig"/>("small")), unless <see cref="CheckpointFolder"/> is set.</summary>
    public ModelConfig Config { get; init; } = CaptureBenchmark.RandomConfig("small");
    /// <summary>A Hugging Face checkpoint folder to load instead of random weights.</summary>
    public string? CheckpointFolder { get; init; }
    /// <summary>Seed of the weights and of the token ids.</summary>
    public ulong Seed { get; init; }
    /// <summary>Where to run.</summary>
    public Device Device { get; init; } = Device.Cpu;
    /// <summary>
    /// A timed batch is "clean" when other processes kept at most this many cores busy during it
    /// (null: gpt2_ref.py's default, 0.10 with 2 or more threads, 1.10 with one).
    /// </summary>
    public double? CleanThreshold { get; init; }
}

/// <summary>
/// The result, with gpt2_ref.py's definitions (../shared/bench/refcommon.py StepRecorder): tokens/s over
/// the clean batches (batch · context · clean batches / their total time; over all batches when none
/// is clean), tokens/s over all timed batches, the median clean (else all) batch, the fastest batch,
/// the foreign load averaged over the timed batches, and the FLOPs per token with gpt2_ref.py's count.
/// </summary>
/// <param name="TokensPerSecond">Over the clean batches (all when none is clean), as gpt2_ref.py's tokens_per_s.</param>
/// <param name="TokensPerSecondAll">Over all timed batches, as gpt2_ref.py's tokens_per_s_all.</param>
/// <param name="MedianMilliseconds">The median clean batch (all when none is clean), as gpt2_ref.py's batch_ms_median.</param>
/// <param name="MinMilliseconds">The fastest timed batch.</param>
/// <param name="ForeignLoadCores">Cores other processes kept busy, time-weighted over the timed batches.</param>
/// <param name="CleanBatches">Timed batches whose foreign load was at most the threshold.</param>
/// <param name="CpuMilliseconds">The median CPU time this process spent per timed batch (all threads): less sensitive to time-slicing than wall time.</param>
/// <param name="FlopPerToken">2 FLOP per multiply-add of every matmul run (see <see cref="CaptureBenchmark.FlopPerToken"/>).</param>
/// <param name="Threads">libtorch's intra-op threads during the run.</param>
/// <param name="Model">The config that ran (the checkpoint's, or the random one).</param>
/// <param name="Options">What was asked.</param>
public sealed record CaptureBenchmarkResult(
    double TokensPerSecond, double TokensPerSecondAll, double MedianMilliseconds, double MinMilliseconds,
    double ForeignLoadCores, int CleanBatches, double CpuMilliseconds, double FlopPerToken, int Threads, ModelConfig Model, CaptureBenchmarkOptions Options)
{
    /// <summary>GFLOP/s at <see cref="TokensPerSecond"/>.</summary>
    public double Gflops => FlopPerToken * TokensPerSecond / 1e9;
}

/// <summary>
/// Times <see cref="TransformerModel.RunTo"/> plus the copy of the activation into a preallocated
/// float32 buffer that holds every timed batch, as ../shared/bench/gpt2_ref.py's capture mode does, so
/// the two compare directly.
/// </summary>
public static class CaptureBenchmark
{
    /// <summary>gpt2_ref.py's configs: small (12 layers, d 768, 12 heads) and tiny (2 layers, d 128, 4 heads), vocab 50257, 1024 positions.</summary>
    public static ModelConfig RandomConfig(string size) => size switch
    {
        "small" => ModelConfig.Create("gpt2", 50257, 768, 12, 12, 1024),
        "tiny" => ModelConfig.Create("gpt2", 50257, 128, 2, 4, 1024),
        _ => throw new ArgumentException($"--random must be small or tiny, got '{size}'"),
    };

    /// <summary>
    /// gpt2_ref.py's count, 2 FLOP per multiply-add: per full block 2·(4·d² + 2·d·d_mlp) (qkv, out, MLP;
    /// 24·d² for GPT-2) + 2·2·T·d (q·kᵀ and att·v over the full T×T matrix). Blocks cut short by the
    /// site count the matmuls before it (attention for resid_mid/attn_out, plus the up projection for mlp_hidden).
    /// </summary>
    public static double FlopPerToken(ModelConfig c, HookPoint point, int context)
    {
        double d = c.DModel, m = c.DMlp;
        var attention = 2 * 4 * d * d + 2 * 2 * context * d;
        var up = 2 * d * m;
        var partial = point.Site switch
        {
            HookSite.ResidPre => 0,
            HookSite.ResidMid or HookSite.AttnOut => attention,
            HookSite.MlpHidden => attention + up,
            _ => attention + 2 * up,
        };
        return point.Layer * (attention + 2 * up) + partial;
    }

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
        var foreign = new List<double>();
        var cpu = new List<double>();
        for (var i = 0; i < batches; i++)
        {
            using var step = TensorScope.Enter();
            var load = ForeignLoad.Start();
            var sw = Stopwatch.StartNew();
            var activation = model.RunTo(ids.Select(0, i), point).Reshape(-1, width);   // [B·T, W]
            if (i >= o.Warmup)
            {
                buffer.Narrow(0, (long)(i - o.Warmup) * o.Batch * o.Context, (long)o.Batch * o.Context).Copy_(activation);
                if (o.Device.IsCuda) _ = buffer.Select(0, 0).Select(0, 0).ToDouble();   // waits for the GPU
                var seconds = sw.Elapsed.TotalSeconds;
                times.Add(seconds);
                foreign.Add(load.Cores(seconds));
                cpu.Add(load.OwnSecondsSince());
            }
        }
        var threshold = o.CleanThreshold ?? (TorchRuntime.Threads >= 2 ? 0.10 : 1.10);
        var clean = times.Where((_, i) => foreign[i] <= threshold).ToList();
        var chosen = clean.Count > 0 ? clean : times;
        double tokens = (double)o.Batch * o.Context;
        return new CaptureBenchmarkResult(
            TokensPerSecond: tokens * chosen.Count / chosen.Sum(),
            TokensPerSecondAll: tokens * times.Count / times.Sum(),
            MedianMilliseconds: 1e3 * Median(chosen),
            MinMilliseconds: 1e3 * times.Min(),
            ForeignLoadCores: times.Select((t, i) => t * foreign[i]).Sum() / times.Sum(),
            CleanBatches: clean.Count,
            CpuMilliseconds: 1e3 * Median(cpu),
            FlopPerToken: FlopPerToken(model.Config, point, o.Context),
            Threads: TorchRuntime.Threads,
            Model: model.Config,
            Options: o);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
