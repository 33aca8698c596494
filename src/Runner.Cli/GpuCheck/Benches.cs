using System.Globalization;
using System.Text.Json.Nodes;

namespace Runner.Cli.GpuCheck;

/// <summary>One benchmark: the same workload through <c>runner bench</c> and through bench/torch_ref.py, compared on one figure.</summary>
/// <param name="Name">What it measures, e.g. <c>sae relu 4096x32768 bfloat16</c>.</param>
/// <param name="Runner">Arguments of <c>runner bench</c> (device, dtype and --json added).</param>
/// <param name="Reference">Arguments of torch_ref.py, one list per reference variant (name, arguments).</param>
/// <param name="Field">The JSON field compared (higher is better): <c>gflops</c> or <c>tokens_per_s</c>.</param>
/// <param name="Unit">How the field reads.</param>
public sealed record BenchCase(string Name, string[] Runner, IReadOnlyList<(string Variant, string[] Args)> Reference, string Field, string Unit);

/// <summary>A measured benchmark: Runner's figure, each reference variant's, and the ratios.</summary>
public sealed record BenchResult(string Name, string Unit, double? Runner, IReadOnlyList<(string Variant, double? Value)> Reference, string? Note)
{
    /// <summary>Runner / reference for each variant that ran.</summary>
    public IEnumerable<(string Variant, double Ratio)> Ratios =>
        Reference.Where(r => Runner is > 0 && r.Value is > 0).Select(r => (r.Variant, Runner!.Value / r.Value!.Value));
}

/// <summary>The workloads gpu-check measures on each kind of device.</summary>
public static class Benches
{
    /// <summary>The cases for <paramref name="cuda"/> (the issue's GPU shapes) or the CPU (the CPU reference shapes; tiny ones when <paramref name="quick"/>).</summary>
    public static IReadOnlyList<BenchCase> For(bool cuda, bool quick, int threads)
    {
        var t = threads.ToString(CultureInfo.InvariantCulture);
        string[] Threads(string[] args) => cuda ? args : [.. args, "--threads", t];
        BenchCase Matmul(int m, int k, int n, string dtype)
        {
            string[] shape = ["--m", $"{m}", "--k", $"{k}", "--n", $"{n}", "--dtype", dtype];
            return new($"matmul {dtype} {m}x{k}x{n}", Threads(["matmul", .. shape]), [("eager", Threads(["matmul", .. shape]))], "gflops", "GFLOP/s");
        }
        BenchCase Sae(string arch, int dIn, int dSae, int k, int batch, int steps, string dtype)
        {
            string[] shape = ["--arch", arch, "--d-in", $"{dIn}", "--d-sae", $"{dSae}", "--batch", $"{batch}", "--steps", $"{steps}", "--warmup", "2", "--dtype", dtype];
            if (arch == "topk") shape = [.. shape, "--k", $"{k}"];
            var variants = new List<(string, string[])> { ("eager", Threads(["sae", .. shape])) };
            if (arch == "topk") variants.Add(("eager-embag", Threads(["sae", .. shape, "--sparse-decoder"])));
            var name = $"sae {arch} {dIn}x{dSae}{(arch == "topk" ? $" k{k}" : "")} {dtype}";
            return new(name, Threads(["sae", .. shape]), variants, "tokens_per_s", "tok/s");
        }
        BenchCase Capture(string size, int layer, int batch, int context, int iters, string dtype)
        {
            string[] common = ["--layer", $"{layer}", "--batch", $"{batch}", "--context", $"{context}", "--iters", $"{iters}", "--warmup", "2", "--dtype", dtype];
            return new($"capture gpt2-{size} blocks 0-{layer} {batch}x{context} {dtype}", Threads(["capture", "--random", size, .. common]),
                [("eager", Threads(["capture", "--size", size, .. common]))], "tokens_per_s", "tok/s");
        }
        if (cuda)
            return
            [
                Matmul(8192, 8192, 8192, "float32"),
                Matmul(8192, 8192, 8192, "bfloat16"),
                Sae("relu", 4096, 32768, 0, 4096, 10, "bfloat16"),
                Sae("topk", 4096, 131072, 64, 4096, 10, "bfloat16"),
                Capture("small", 5, 32, 1024, 10, "float32"),
                Capture("small", 5, 32, 1024, 10, "bfloat16"),
            ];
        if (quick)
            return
            [
                Matmul(1024, 512, 1024, "float32"),
                Sae("relu", 256, 1024, 0, 1024, 2, "float32"),
                Sae("topk", 256, 4096, 16, 1024, 2, "float32"),
                Capture("tiny", 1, 4, 64, 3, "float32"),
            ];
        return
        [
            Matmul(4096, 512, 8192, "float32"),
            Matmul(4096, 512, 8192, "bfloat16"),
            Sae("relu", 512, 4096, 0, 4096, 5, "float32"),
            Sae("topk", 768, 24576, 32, 4096, 5, "float32"),
            Capture("small", 5, 8, 128, 10, "float32"),
        ];
    }

    /// <summary>Reads <paramref name="field"/> from the last JSON object line of <paramref name="stdout"/>.</summary>
    public static double? Figure(string stdout, string field)
    {
        foreach (var line in stdout.Split('\n').Reverse())
        {
            var text = line.Trim();
            if (!text.StartsWith('{')) continue;
            try
            {
                return JsonNode.Parse(text)?[field]?.GetValue<double>();
            }
            catch (System.Text.Json.JsonException)
            {
                return null;
            }
        }
        return null;
    }
}
