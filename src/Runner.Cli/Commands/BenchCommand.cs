using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Runner.Core.Benchmarks;
using Runner.Torch;

namespace Runner.Cli.Commands;

/// <summary><c>runner bench ...</c>: throughput figures to compare with ../shared/bench's PyTorch loops.</summary>
public static class BenchCommand
{
    /// <summary>Builds the command group.</summary>
    public static Command Create(CliContext context) => new("bench", "Benchmarks that print throughput figures.") { Matmul(context) };

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
                context.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Usage;
            }
            try
            {
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
            }
            catch (TorchException e)
            {
                context.Error.WriteLine($"error: {e.Message}");
                return ExitCodes.Failed;
            }
        });
        return command;
    }

    private static int Positive(int value, string name) =>
        value > 0 ? value : throw new ArgumentException($"{name} must be a positive integer, got {value}");
}
