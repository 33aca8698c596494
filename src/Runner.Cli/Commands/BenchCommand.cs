using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Runner.Core;
using Runner.Core.Benchmarks;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Cli.Commands;

/// <summary><c>runner bench ...</c>: throughput figures to compare with ../shared/bench's PyTorch loops.</summary>
public static class BenchCommand
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliContext context) => new("bench", "Benchmarks that print throughput figures.") { Matmul(context), Sae(context) };

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
                    Device = Device.Parse(r.GetValue(device)!),
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
                    Device = Device.Parse(r.GetValue(device)!),
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

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name} must be a positive integer, got {value}");
}
