using Runner.Core.Models;

namespace Runner.Core.Tests.Models;

public sealed class ModelConfigTests
{
    // The Hub's gpt2 config.json (abridged only of task-specific keys).
    private const string Gpt2Json = """
        {
          "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1, "bos_token_id": 50256,
          "embd_pdrop": 0.1, "eos_token_id": 50256, "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2",
          "n_ctx": 1024, "n_embd": 768, "n_head": 12, "n_layer": 12, "n_positions": 1024, "resid_pdrop": 0.1,
          "summary_activation": null, "summary_first_dropout": 0.1, "summary_proj_to_labels": true, "summary_type": "cls_index",
          "summary_use_proj": true, "task_specific_params": {"text-generation": {"do_sample": true, "max_length": 50}}, "vocab_size": 50257
        }
        """;

    // EleutherAI/pythia-70m's config.json.
    private const string PythiaJson = """
        {
          "architectures": ["GPTNeoXForCausalLM"], "bos_token_id": 0, "eos_token_id": 0, "hidden_act": "gelu", "hidden_size": 512,
          "initializer_range": 0.02, "intermediate_size": 2048, "layer_norm_eps": 1e-05, "max_position_embeddings": 2048,
          "model_type": "gpt_neox", "num_attention_heads": 8, "num_hidden_layers": 6, "rotary_emb_base": 10000, "rotary_pct": 0.25,
          "tie_word_embeddings": false, "torch_dtype": "float16", "transformers_version": "4.24.0", "use_cache": true,
          "use_parallel_residual": true, "vocab_size": 50304
        }
        """;

    // meta-llama/Llama-3.2-1B's config.json.
    private const string LlamaJson = """
        {
          "architectures": ["LlamaForCausalLM"], "attention_bias": false, "attention_dropout": 0.0, "bos_token_id": 128000,
          "eos_token_id": 128001, "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048, "initializer_range": 0.02,
          "intermediate_size": 8192, "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
          "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
          "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192, "rope_type": "llama3"},
          "rope_theta": 500000.0, "tie_word_embeddings": true, "torch_dtype": "bfloat16", "transformers_version": "4.45.0.dev0",
          "use_cache": true, "vocab_size": 128256
        }
        """;

    // Qwen/Qwen2-0.5B's config.json.
    private const string QwenJson = """
        {
          "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643, "eos_token_id": 151643,
          "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02, "intermediate_size": 4864, "max_position_embeddings": 131072,
          "max_window_layers": 24, "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24, "num_key_value_heads": 2,
          "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "sliding_window": 131072, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
          "transformers_version": "4.40.1", "use_cache": true, "use_sliding_window": false, "vocab_size": 151936
        }
        """;

    // mistralai/Mistral-7B-v0.1's config.json.
    private const string MistralJson = """
        {
          "architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096,
          "initializer_range": 0.02, "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mistral",
          "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
          "sliding_window": 4096, "tie_word_embeddings": false, "torch_dtype": "bfloat16", "transformers_version": "4.34.0.dev0",
          "use_cache": true, "vocab_size": 32000
        }
        """;

    private static ModelConfig Read(IO.TempFolder folder, string json, string name = "config.json")
    {
        File.WriteAllText(folder[name], json);
        return ModelConfig.FromJson(folder[name]);
    }

    [Fact]
    public void The_hub_gpt2_config_reads_with_hf_defaults()
    {
        using var folder = new IO.TempFolder();
        var c = Read(folder, Gpt2Json);
        Assert.Equal(ModelFamily.Gpt2, c.Family);
        Assert.Equal((50257, 768, 12, 12, 12, 64, 3072, 1024), (c.VocabSize, c.DModel, c.Layers, c.Heads, c.KvHeads, c.HeadDim, c.DMlp, c.MaxPositions));
        Assert.Equal(("gelu_new", 1e-5, 50256, 50256), (c.Activation, c.NormEps, c.BosTokenId, c.EosTokenId));
        Assert.True(c.TieWordEmbeddings && c.ScaleAttentionWeights && c.QkvBias && c.MlpBias);
        Assert.Equal(0, c.RotaryDims);
    }

    [Fact]
    public void Pythias_config_reads_partial_rotary_and_parallel_residual()
    {
        using var folder = new IO.TempFolder();
        var c = Read(folder, PythiaJson);
        Assert.Equal(ModelFamily.GptNeoX, c.Family);
        Assert.Equal((50304, 512, 6, 8, 64, 2048, 2048), (c.VocabSize, c.DModel, c.Layers, c.Heads, c.HeadDim, c.DMlp, c.MaxPositions));
        Assert.Equal((16, 10000.0, "gelu"), (c.RotaryDims, c.RopeTheta, c.Activation));
        Assert.True(c.ParallelResidual && c.QkvBias && c.OutBias && !c.TieWordEmbeddings);
    }

    [Fact]
    public void Llama_qwen2_and_mistral_configs_read_gqa_rope_scaling_biases_and_windows()
    {
        using var folder = new IO.TempFolder();
        var llama = Read(folder, LlamaJson);
        Assert.Equal((32, 8, 64, 8192, 1e-5, 500000.0), (llama.Heads, llama.KvHeads, llama.HeadDim, llama.DMlp, llama.NormEps, llama.RopeTheta));
        Assert.Equal(new RopeScaling { Type = RopeScalingType.Llama3, Factor = 32, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositions = 8192 }, llama.RopeScaling);
        Assert.True(llama.TieWordEmbeddings && !llama.QkvBias && !llama.MlpBias);

        var qwen = Read(folder, QwenJson);
        Assert.Equal((14, 2, 64, 1000000.0), (qwen.Heads, qwen.KvHeads, qwen.HeadDim, qwen.RopeTheta));
        Assert.True(qwen.QkvBias && !qwen.OutBias && qwen.TieWordEmbeddings);
        Assert.Null(qwen.SlidingWindow);

        var mistral = Read(folder, MistralJson);
        Assert.Equal((4096, 8, false), (mistral.SlidingWindow, mistral.KvHeads, mistral.QkvBias));
    }

    [Theory]
    [InlineData("gpt2")]
    [InlineData("gpt_neox")]
    [InlineData("llama_gqa")]
    [InlineData("qwen2_tied")]
    [InlineData("mistral_window")]
    public void Save_then_FromJson_gives_the_same_config(string family)
    {
        using var folder = new IO.TempFolder();
        var config = ModelTestKit.Config(family) with
        {
            RopeScaling = family == "llama_gqa" ? new RopeScaling { Type = RopeScalingType.Yarn, Factor = 4, OriginalMaxPositions = 16, AttentionFactor = 1.5 } : null,
        };
        config.Save(folder["config.json"]);
        Assert.Equal(config, ModelConfig.FromJson(folder["config.json"]));
        var text = File.ReadAllText(folder["config.json"]);
        Assert.Contains($"\"model_type\": \"{config.ModelType}\"", text);
        Assert.Contains("\"architectures\"", text);
    }

    [Fact]
    public void An_unknown_model_type_is_an_error_listing_the_supported_ones()
    {
        using var folder = new IO.TempFolder();
        var e = Assert.Throws<RunnerException>(() => Read(folder, """{"model_type": "bert", "hidden_size": 8}"""));
        Assert.Contains(folder["config.json"], e.Message);
        Assert.Contains("'bert'", e.Message);
        Assert.Contains("gpt2, gpt_neox, llama, mistral, qwen2", e.Message);
    }

    [Fact]
    public void Missing_and_mistyped_keys_are_errors_naming_file_and_key()
    {
        using var folder = new IO.TempFolder();
        var missing = Assert.Throws<RunnerException>(() => Read(folder, PythiaJson.Replace("\"intermediate_size\": 2048,", "")));
        Assert.Contains(folder["config.json"], missing.Message);
        Assert.Contains("missing key intermediate_size", missing.Message);

        var mistyped = Assert.Throws<RunnerException>(() => Read(folder, Gpt2Json.Replace("\"n_head\": 12", "\"n_head\": \"twelve\"")));
        Assert.Contains("n_head: expected an integer, got \"twelve\"", mistyped.Message);

        var broken = Assert.Throws<RunnerException>(() => Read(folder, "{\"model_type\": "));
        Assert.Contains(folder["config.json"], broken.Message);

        var indivisible = Assert.Throws<RunnerException>(() => Read(folder, Gpt2Json.Replace("\"n_head\": 12", "\"n_head\": 7")));
        Assert.Contains("not divisible by 7 heads", indivisible.Message);
    }

    [Fact]
    public void An_unsupported_rope_type_is_an_error_naming_it()
    {
        using var folder = new IO.TempFolder();
        var e = Assert.Throws<RunnerException>(() => Read(folder, LlamaJson.Replace("\"rope_type\": \"llama3\"", "\"rope_type\": \"longrope\"")));
        Assert.Contains("'longrope'", e.Message);
        Assert.Contains("default, linear, dynamic, llama3, yarn", e.Message);
        var noFactor = Assert.Throws<RunnerException>(() => Read(folder, LlamaJson.Replace("\"factor\": 32.0,", "")));
        Assert.Contains("rope_scaling.factor", noFactor.Message);
    }
}
