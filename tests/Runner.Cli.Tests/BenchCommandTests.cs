using System.Text.Json;
using Runner.Core.Models;
using Runner.Torch;

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

    [Fact]
    public void Bench_capture_prints_the_reference_fields_as_json_with_random_tiny_weights()
    {
        Assert.Equal(0, _cli.Run("bench", "capture", "--random", "tiny", "--batch", "1", "--context", "8", "--layer", "1", "--iters", "1", "--warmup", "0", "--json"));
        using var json = JsonDocument.Parse(_cli.Out);
        var root = json.RootElement;
        var tokensPerSecond = root.GetProperty("tokens_per_s").GetDouble();
        Assert.True(tokensPerSecond > 0);
        Assert.True(root.GetProperty("tokens_per_s_all").GetDouble() > 0);
        Assert.True(root.GetProperty("batch_ms_median").GetDouble() > 0);
        // gpt2_ref.py's count for 2 blocks of d 128 at T = 8: 2 · (24·d² + 4·T·d)
        Assert.Equal(2 * (24.0 * 128 * 128 + 4.0 * 8 * 128), root.GetProperty("flop_per_token").GetDouble());
        Assert.Equal(root.GetProperty("flop_per_token").GetDouble() * tokensPerSecond / 1e9, root.GetProperty("gflops").GetDouble(), 0.01);
        Assert.True(root.GetProperty("threads").GetInt32() >= 1);
        Assert.Equal("float32", root.GetProperty("dtype").GetString());
        Assert.Equal("random-tiny", root.GetProperty("model").GetString());
        Assert.Equal(1, root.GetProperty("layer").GetInt32());
        Assert.Equal("resid_post", root.GetProperty("site").GetString());
        Assert.Equal(1, root.GetProperty("n_timed").GetInt32());
    }

    [Fact]
    public void Bench_capture_loads_a_checkpoint_folder_and_stops_at_any_site()
    {
        var dir = Path.Combine(_cli.Directory, "llama-tiny");
        using (var model = TransformerModel.CreateRandom(ModelConfig.Create("llama", 64, 32, 2, 4, 64, kvHeads: 2), 3, Device.Cpu, DType.Float32))
            model.Save(dir);
        Assert.Equal(0, _cli.Run("bench", "capture", "--model", dir, "--batch", "2", "--context", "8", "--layer", "0", "--site", "mlp_hidden", "--dtype", "bfloat16", "--iters", "1", "--warmup", "0", "--json"));
        using var json = JsonDocument.Parse(_cli.Out);
        var root = json.RootElement;
        Assert.True(root.GetProperty("tokens_per_s").GetDouble() > 0);
        Assert.Equal(dir, root.GetProperty("model").GetString());
        Assert.Equal("mlp_hidden", root.GetProperty("site").GetString());
        Assert.Equal("bfloat16", root.GetProperty("dtype").GetString());
        // attention (2·4·d² + 2·2·T·d) and the MLP's up projection (2·d·d_mlp, d_mlp = 4d) of block 0
        Assert.Equal(2 * 4.0 * 32 * 32 + 4.0 * 8 * 32 + 2.0 * 32 * 128, root.GetProperty("flop_per_token").GetDouble());
    }

    [Fact]
    public void Bench_capture_rejects_missing_or_impossible_options_with_exit_2()
    {
        Assert.Equal(2, _cli.Run("bench", "capture"));
        Assert.Equal("error: give --model DIR (a checkpoint folder or a Hugging Face id in the local cache) or --random small|tiny", _cli.Error.Trim());
        Assert.Equal(2, _cli.Run("bench", "capture", "--random", "tiny", "--model", "gpt2"));
        Assert.EndsWith(", not both", _cli.Error.Trim());
        Assert.Equal(2, _cli.Run("bench", "capture", "--random", "medium"));
        Assert.Equal("error: --random must be small or tiny, got 'medium'", _cli.Error.Trim());
        Assert.Equal(2, _cli.Run("bench", "capture", "--random", "tiny", "--layer", "2"));
        Assert.Equal("error: --layer must be in [0, 1] (the model has 2 layers), got 2", _cli.Error.Trim());
        Assert.Equal(2, _cli.Run("bench", "capture", "--random", "tiny", "--layer", "0", "--site", "resid"));
        Assert.Equal("error: --site must be one of resid_pre, resid_mid, resid_post, mlp_hidden, mlp_out, attn_out, got 'resid'", _cli.Error.Trim());
        Assert.Equal(2, _cli.Run("bench", "capture", "--random", "tiny", "--layer", "0", "--dtype", "float16"));
        Assert.Equal("error: --dtype must be float32 or bfloat16, got float16", _cli.Error.Trim());
        Assert.Equal(2, _cli.Run("bench", "capture", "--model", "no/such-model/here"));
        Assert.StartsWith("error: model.id 'no/such-model/here'", _cli.Error.Trim());
    }
}
