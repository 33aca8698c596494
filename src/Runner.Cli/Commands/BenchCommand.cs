using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Runner.Core;
using Runner.Core.Benchmarks;
using Runner.Core.Models;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Cli.Commands;

/// <summary><c>runner bench ...</c>: throughput figures to compare with ../shared/bench's PyTorch loops.</summary>
public static class BenchCommand
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliContext context) => new("bench", "Benchmarks that print throughput figures.") { Matmul(context), Sae(context), Capture(context), Calibrate(context) };

    private static Command Calibrate(CliContext context)
    {
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "Print the calibration file's JSON." };
        var command = new Command("calibrate", "Measure this machine's speeds for run --dry-run's time estimates (a few seconds) and keep them in ~/.cache/runner/calibration/, replacing what was there.")
        {
            device, json,
        };
        command.SetAction(r =>
        {
            Device target;
            try { target = Device.Parse(r.GetValue(device)!); }
            catch (FormatException e) { throw new RunnerException(e.Message, ExitCodes.Usage); }
            var c = Pipeline.Estimates.MachineCalibration.Measure(context.EnvironmentFingerprint(), target, context.GetEnvironment);
            if (r.GetValue(json)) context.Out.Write(File.ReadAllText(c.File));
            else
            {
                var f = c.Figures;
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"calibrated {target} with {f.Threads} threads in {f.MeasuredSeconds:F1} s: forward {f.ForwardGflops:F1} GFLOP/s + {f.ForwardSecondsPerLayer * 1e3:F2} ms per layer and batch, SAE training {f.SaeGflops:F1} GFLOP/s + {f.SaeSecondsPerStep * 1e3:F2} ms per step, bf16 {f.Bf16Speedup:F1}x; runtime {f.BaseRssBytes / 1e6:F0} MB resident -> {c.File}"));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Matmul(CliContext context)
    {
        var m = new Option<int>("--m") { Description = "Rows of A.", DefaultValueFactory = _ => 4096 };
        var k = new Option<int>("--k") { Description = "Columns of A / rows of B.", DefaultValueFactory = _ => 512 };
        var n = new Option<int>("--n") { Description = "Columns of B.", DefaultValueFactory = _ => 8192 };
        var iters = new Option<int>("--iters") { Description = "Timed calls (median reported).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed calls first.", DefaultValueFactory = _ => 2 };
        var threads = new Option<int?>("--threads") { Description = "Intra-op and BLAS threads (default: all cores)." };
        var dtype = new Option<string>("--dtype") { Description = "float32 or bfloat16.", DefaultValueFactory = _ => "float32" };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("matmul", "Time an fp32 4096x512 @ 512x8192 matmul through the binding; print GFLOP/s.")
        {
            m, k, n, iters, warmup, threads, dtype, device, json,
        };
        command.SetAction(r =>
        {
            MatmulBenchmarkOptions options;
            try
            {
                options = new MatmulBenchmarkOptions
                {
                    M = Positive(r.GetValue(m), "--m"),
                    K = Positive(r.GetValue(k), "--k"),
                    N = Positive(r.GetValue(n), "--n"),
                    Iterations = Positive(r.GetValue(iters), "--iters"),
                    Warmup = Math.Max(0, r.GetValue(warmup)),
                    DType = DTypes.Parse(r.GetValue(dtype)!),
                    Device = DeviceAvailability.Require(Device.Parse(r.GetValue(device)!)),
                };
                if (r.GetValue(threads) is { } t) TorchRuntime.Threads = Positive(t, "--threads");
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new RunnerException(e.Message, ExitCodes.Usage); // bad option values: a usage error, not a bug
            }
            var result = MatmulBenchmark.Run(options);
            if (r.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    gflops = Math.Round(result.Gflops, 2),
                    median_ms = Math.Round(result.MedianMilliseconds, 3),
                    min_ms = Math.Round(result.MinMilliseconds, 3),
                    threads = result.Threads,
                    m = options.M, k = options.K, n = options.N,
                    dtype = options.DType.Name(),
                    device = options.Device.ToString(),
                }));
            }
            else
            {
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"matmul {options.DType.Name()} [{options.M}x{options.K}] @ [{options.K}x{options.N}] on {options.Device}, {result.Threads} threads: {result.Gflops:F1} GFLOP/s (median {result.MedianMilliseconds:F1} ms, min {result.MinMilliseconds:F1} ms over {options.Iterations} calls)"));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Sae(CliContext context)
    {
        var arch = new Option<string>("--arch") { Description = "relu, topk, batchtopk or jumprelu.", DefaultValueFactory = _ => "relu" };
        var dIn = new Option<int>("--d-in") { Description = "Input width.", DefaultValueFactory = _ => 512 };
        var dSae = new Option<int>("--d-sae") { Description = "Latents.", DefaultValueFactory = _ => 4096 };
        var k = new Option<int>("--k") { Description = "Active latents per row (topk, batchtopk).", DefaultValueFactory = _ => 32 };
        var batch = new Option<int>("--batch") { Description = "Rows per step.", DefaultValueFactory = _ => 4096 };
        var steps = new Option<int>("--steps") { Description = "Timed steps.", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 3 };
        var threads = new Option<int?>("--threads") { Description = "Intra-op and BLAS threads (default: all cores)." };
        var dtype = new Option<string>("--dtype") { Description = "float32, or bfloat16 autocast (float32 master weights).", DefaultValueFactory = _ => "float32" };
        var kernels = new Option<string>("--kernels") { Description = "topk step: auto, dense or sparse.", DefaultValueFactory = _ => "auto" };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("sae", "Time SAE training steps (Adam) on in-memory synthetic activations; print tokens/s and dense-equivalent GFLOP/s (12·d_in·d_sae per token).")
        {
            arch, dIn, dSae, k, batch, steps, warmup, threads, dtype, kernels, device, json,
        };
        command.SetAction(r =>
        {
            SaeBenchmarkOptions options;
            try
            {
                var kind = r.GetValue(arch)!.Trim().ToLowerInvariant() switch
                {
                    "relu" => SaeKind.Relu,
                    "topk" => SaeKind.TopK,
                    "batchtopk" => SaeKind.BatchTopK,
                    "jumprelu" => SaeKind.JumpRelu,
                    var other => throw new ArgumentException($"--arch must be relu, topk, batchtopk or jumprelu, got '{other}'"),
                };
                var kernelChoice = r.GetValue(kernels)!.Trim().ToLowerInvariant() switch
                {
                    "auto" => SaeKernels.Auto,
                    "dense" => SaeKernels.Dense,
                    "sparse" => SaeKernels.Sparse,
                    var other => throw new ArgumentException($"--kernels must be auto, dense or sparse, got '{other}'"),
                };
                var sae = new SaeOptions
                {
                    Kind = kind,
                    DIn = Positive(r.GetValue(dIn), "--d-in"),
                    DSae = Positive(r.GetValue(dSae), "--d-sae"),
                    K = Positive(r.GetValue(k), "--k"),
                    Kernels = kernelChoice,
                };
                SaeFactory.Validate(sae);
                var precision = DTypes.Parse(r.GetValue(dtype)!);
                if (precision is not (DType.Float32 or DType.BFloat16)) throw new ArgumentException($"--dtype must be float32 or bfloat16, got {precision.Name()}");
                options = new SaeBenchmarkOptions
                {
                    Sae = sae,
                    Batch = Positive(r.GetValue(batch), "--batch"),
                    Steps = Positive(r.GetValue(steps), "--steps"),
                    Warmup = Math.Max(0, r.GetValue(warmup)),
                    DType = precision,
                    Device = DeviceAvailability.Require(Device.Parse(r.GetValue(device)!)),
                };
                if (r.GetValue(threads) is { } t) TorchRuntime.Threads = Positive(t, "--threads");
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new RunnerException(e.Message, ExitCodes.Usage); // bad option values: a usage error, not a bug
            }
            var result = SaeBenchmark.Run(options);
            var name = options.Sae.Kind.ToString().ToLowerInvariant();
            if (r.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    tokens_per_s = Math.Round(result.TokensPerSecond, 1),
                    gflops = Math.Round(result.Gflops, 2),
                    step_ms_median = Math.Round(result.MedianStepMilliseconds, 1),
                    arch = name,
                    d_in = options.Sae.DIn, d_sae = options.Sae.DSae, k = options.Sae.Kind is SaeKind.TopK or SaeKind.BatchTopK ? options.Sae.K : (int?)null,
                    batch = options.Batch, steps = options.Steps,
                    dtype = options.DType.Name(),
                    kernels = result.SparseKernels ? "sparse" : "dense",
                    threads = result.Threads,
                    device = options.Device.ToString(),
                    first_loss = result.FirstLoss, last_loss = result.LastLoss,
                }));
            }
            else
            {
                var k2 = options.Sae.Kind is SaeKind.TopK or SaeKind.BatchTopK ? $" k={options.Sae.K}" : "";
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"sae {name} d_in={options.Sae.DIn} d_sae={options.Sae.DSae}{k2} B={options.Batch} {options.DType.Name()} ({(result.SparseKernels ? "sparse" : "dense")} kernels) on {options.Device}, {result.Threads} threads: {result.TokensPerSecond:N0} tok/s, {result.Gflops:F1} GFLOP/s dense-equivalent, median step {result.MedianStepMilliseconds:F0} ms; loss {result.FirstLoss:G4} -> {result.LastLoss:G4}"));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Capture(CliContext context)
    {
        var model = new Option<string?>("--model") { Description = "A checkpoint folder (config.json + *.safetensors), or a Hugging Face id in the local cache." };
        var random = new Option<string?>("--random") { Description = "Random weights instead of a checkpoint: small (GPT-2 small: 12 layers, d 768, 12 heads) or tiny (2 layers, d 128, 4 heads), as ../shared/bench/gpt2_ref.py --size." };
        var batch = new Option<int>("--batch") { Description = "Sequences per batch.", DefaultValueFactory = _ => 8 };
        var contextLength = new Option<int>("--context") { Description = "Tokens per sequence.", DefaultValueFactory = _ => 128 };
        var layer = new Option<int>("--layer") { Description = "The hook point's block (0-based).", DefaultValueFactory = _ => 5 };
        var site = new Option<string>("--site") { Description = "The hook point's site: resid_pre, resid_mid, resid_post, mlp_hidden, mlp_out or attn_out.", DefaultValueFactory = _ => "resid_post" };
        var iters = new Option<int>("--iters") { Description = "Timed batches.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed batches first.", DefaultValueFactory = _ => 3 };
        var dtype = new Option<string>("--dtype") { Description = "float32, or bfloat16 (bf16 weights and matmuls; norms, GELU and the softmax in float32).", DefaultValueFactory = _ => "float32" };
        var threads = new Option<int?>("--threads") { Description = "Intra-op and BLAS threads (default: all cores)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random weights and token ids.", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto.", DefaultValueFactory = _ => "cpu" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("capture",
            "Time activation capture: each batch of random token ids runs from the embeddings through block --layer only as far as --site "
            + "(nothing later, no unembedding), and the activation is copied as float32 into a buffer that holds every timed batch; the clock covers both. "
            + "Prints tokens/s and GFLOP/s with gpt2_ref.py's count, computed as gpt2_ref.py does (tokens/s over the batches with no foreign CPU load, "
            + "over all of them when none is clean; tokens_per_s_all in the JSON is over all). gpt2_ref.py --layer N (after N blocks) is --layer N-1 --site resid_post, "
            + "or --layer N --site resid_pre.")
        {
            model, random, batch, contextLength, layer, site, iters, warmup, dtype, threads, seed, device, json,
        };
        command.SetAction(r =>
        {
            CaptureBenchmarkOptions options;
            try
            {
                var folder = r.GetValue(model);
                var size = r.GetValue(random);
                if ((folder is null) == (size is null))
                    throw new ArgumentException("give --model DIR (a checkpoint folder or a Hugging Face id in the local cache) or --random small|tiny" + (folder is null ? "" : ", not both"));
                var precision = DTypes.Parse(r.GetValue(dtype)!);
                if (precision is not (DType.Float32 or DType.BFloat16)) throw new ArgumentException($"--dtype must be float32 or bfloat16, got {precision.Name()}");
                var siteName = r.GetValue(site)!.Trim().ToLowerInvariant();
                var hookSite = HookPoint.ParseSite(siteName)
                    ?? throw new ArgumentException($"--site must be one of {string.Join(", ", Enum.GetValues<HookSite>().Select(HookPoint.SiteName))}, got '{siteName}'");
                string? checkpoint = null;
                ModelConfig config;
                if (folder is not null)
                {
                    var full = Path.GetFullPath(folder, context.WorkingDirectory);
                    checkpoint = (Directory.Exists(full)
                        ? HfModelLocator.Resolve(full, null, null, context.GetEnvironment)
                        : HfModelLocator.Resolve(null, folder, null, context.GetEnvironment)).Directory;
                    config = ModelConfig.FromJson(Path.Combine(checkpoint, HfModelLocator.ConfigFile));
                }
                else
                {
                    config = CaptureBenchmark.RandomConfig(size!.Trim().ToLowerInvariant());
                }
                var l = r.GetValue(layer);
                if (l < 0 || l >= config.Layers) throw new ArgumentException($"--layer must be in [0, {config.Layers - 1}] (the model has {config.Layers} layers), got {l}");
                var t = Positive(r.GetValue(contextLength), "--context");
                if (t > config.MaxPositions && config.Family == ModelFamily.Gpt2)
                    throw new ArgumentException($"--context must be at most {config.MaxPositions} (the model's positions), got {t}");
                options = new CaptureBenchmarkOptions
                {
                    CheckpointFolder = checkpoint,
                    Config = config,
                    Layer = l,
                    Site = hookSite,
                    Batch = Positive(r.GetValue(batch), "--batch"),
                    Context = t,
                    Iterations = Positive(r.GetValue(iters), "--iters"),
                    Warmup = Math.Max(0, r.GetValue(warmup)),
                    DType = precision,
                    Threads = r.GetValue(threads) is { } n ? Positive(n, "--threads") : null,
                    Seed = r.GetValue(seed),
                    Device = DeviceAvailability.Require(Device.Parse(r.GetValue(device)!)),
                };
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new RunnerException(e.Message, ExitCodes.Usage); // bad option values: a usage error, not a bug
            }
            catch (RunnerException e) when (e.ExitCode != ExitCodes.Usage)
            {
                throw new RunnerException(e.Message, ExitCodes.Usage); // a --model that resolves to no checkpoint
            }
            var result = CaptureBenchmark.Run(options);
            var name = options.CheckpointFolder ?? $"random-{r.GetValue(random)!.Trim().ToLowerInvariant()}";
            var siteText = HookPoint.SiteName(options.Site);
            if (r.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    tokens_per_s = Math.Round(result.TokensPerSecond, 1),
                    tokens_per_s_all = Math.Round(result.TokensPerSecondAll, 1),
                    batch_ms_median = Math.Round(result.MedianMilliseconds, 3),
                    batch_ms_min = Math.Round(result.MinMilliseconds, 3),
                    gflops = Math.Round(result.Gflops, 2),
                    flop_per_token = result.FlopPerToken,
                    n_timed = options.Iterations, n_clean = result.CleanBatches,
                    foreign_load_cores = Math.Round(result.ForeignLoadCores, 3),
                    cpu_ms_median = Math.Round(result.CpuMilliseconds, 3),
                    threads = result.Threads,
                    dtype = options.DType.Name(),
                    model = name,
                    layer = options.Layer, site = siteText,
                    batch = options.Batch, context = options.Context, iters = options.Iterations,
                    device = options.Device.ToString(),
                }));
            }
            else
            {
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"capture {name} blocks.{options.Layer}.{siteText} B={options.Batch} T={options.Context} {options.DType.Name()} on {options.Device}, {result.Threads} threads: {result.TokensPerSecond:N0} tok/s ({result.TokensPerSecondAll:N0} over all batches), {result.Gflops:F1} GFLOP/s, median batch {result.MedianMilliseconds:F1} ms ({result.CpuMilliseconds:F1} ms CPU); clean {result.CleanBatches}/{options.Iterations}, foreign load {result.ForeignLoadCores:F2} cores"));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name} must be a positive integer, got {value}");
}
