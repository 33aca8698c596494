using System.Text.Json;

namespace Runner.Cli.Tests;

public sealed class BenchCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("topk", "sparse")]
    [InlineData("relu", "dense")]
    public void Bench_sae_prints_tokens_per_second_and_gflops_as_json(string arch, string kernels)
    {
        Assert.Equal(0, _cli.Run("bench", "sae", "--arch", arch, "--d-in", "16", "--d-sae", "64", "--k", "4", "--batch", "32", "--steps", "2", "--warmup", "1", "--json"));
        using var json = JsonDocument.Parse(_cli.Out);
        Assert.True(json.RootElement.GetProperty("tokens_per_s").GetDouble() > 0);
        var gflops = json.RootElement.GetProperty("gflops").GetDouble();
        Assert.Equal(12.0 * 16 * 64 * json.RootElement.GetProperty("tokens_per_s").GetDouble() / 1e9, gflops, 0.01);
        Assert.Equal(kernels, json.RootElement.GetProperty("kernels").GetString());
    }

    [Fact]
    public void Bench_sae_rejects_unknown_architectures_and_impossible_shapes_with_exit_2()
    {
        Assert.Equal(2, _cli.Run("bench", "sae", "--arch", "gated"));
        Assert.Equal("error: --arch must be relu, topk, batchtopk or jumprelu, got 'gated'", _cli.Error.Trim());
        Assert.Equal(2, _cli.Run("bench", "sae", "--arch", "topk", "--d-sae", "64", "--k", "65"));
        Assert.Equal("error: k must be in [1, d_sae = 64], got 65", _cli.Error.Trim());
        Assert.Equal(2, _cli.Run("bench", "sae", "--dtype", "float16"));
        Assert.Equal("error: --dtype must be float32 or bfloat16, got float16", _cli.Error.Trim());
    }
}
