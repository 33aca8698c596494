using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Torch;

namespace Runner.Core.Models;

// Reading and writing Hugging Face's config.json, with transformers' key names and defaults.
public sealed partial record ModelConfig
{
    private static readonly string[] RopeTypes = ["default", "linear", "dynamic", "llama3", "yarn"];

    /// <summary>
    /// Reads a Hugging Face config.json. The size keys are required (vocab_size, hidden size, layers, heads,
    /// max positions, and intermediate_size outside GPT-2); the rest default as in transformers. Unknown
    /// keys are ignored (HF configs carry many). Errors name the file and the key.
    /// </summary>
    public static ModelConfig FromJson(string configJsonPath)
    {
        var j = ConfigJson.Open(configJsonPath);
        var supported = string.Join(", ", SupportedModelTypes.Keys);
        var type = j.OptString("model_type") ?? throw j.Missing("model_type", $"supported: {supported}");
        if (!SupportedModelTypes.TryGetValue(type, out var family))
            throw new RunnerException($"{j.Path}: model_type '{type}' is not supported (supported: {supported})");
        var c = family switch
        {
            ModelFamily.Gpt2 => ReadGpt2(j),
            ModelFamily.GptNeoX => ReadNeoX(j),
            _ => ReadLlama(j, type),
        };
        c = c with
        {
            BosTokenId = j.OptIntOrFirst("bos_token_id"),
            EosTokenId = j.OptIntOrFirst("eos_token_id"),
            InitializerRange = j.Double("initializer_range", 0.02),
        };
        c.Validate(j.Path);
        return c;
    }

    private static ModelConfig ReadGpt2(ConfigJson j)
    {
        const string why = "a GPT-2 size";
        var d = j.Int("n_embd", why);
        if (j.Bool("scale_attn_by_inverse_layer_idx", false))
            throw new RunnerException($"{j.Path}: scale_attn_by_inverse_layer_idx: true is not supported (expected false)");
        return Create("gpt2", j.Int("vocab_size", why), d, j.Int("n_layer", why), j.Int("n_head", why), j.Int("n_positions", why), dMlp: j.OptInt("n_inner")) with
        {
            NormEps = j.Double("layer_norm_epsilon", 1e-5),
            Activation = j.OptString("activation_function") ?? "gelu_new",
            ScaleAttentionWeights = j.Bool("scale_attn_weights", true),
            TieWordEmbeddings = j.Bool("tie_word_embeddings", true),
        };
    }

    private static ModelConfig ReadNeoX(ConfigJson j)
    {
        const string why = "a GPT-NeoX size";
        var (theta, scaling, parameters) = ReadRope(j, j.OptDouble("rotary_emb_base") ?? 10000);
        var bias = j.Bool("attention_bias", true);
        return Create("gpt_neox", j.Int("vocab_size", why), j.Int("hidden_size", why), j.Int("num_hidden_layers", why),
            j.Int("num_attention_heads", why), j.Int("max_position_embeddings", why), dMlp: j.Int("intermediate_size", why)) with
        {
            RotaryFraction = parameters?.OptDouble("partial_rotary_factor") ?? j.OptDouble("rotary_pct") ?? j.Double("partial_rotary_factor", 0.25),
            RopeTheta = theta,
            RopeScaling = scaling,
            NormEps = j.Double("layer_norm_eps", 1e-5),
            ParallelResidual = j.Bool("use_parallel_residual", true),
            Activation = j.OptString("hidden_act") ?? "gelu",
            TieWordEmbeddings = j.Bool("tie_word_embeddings", false),
            QkvBias = bias,
            OutBias = bias,
        };
    }

    private static ModelConfig ReadLlama(ConfigJson j, string type)
    {
        var why = $"a {type} size";
        var (theta, scaling, _) = ReadRope(j, 10000);
        var bias = j.Bool("attention_bias", false);
        int? window = null;
        if (type == "mistral") window = j.OptInt("sliding_window");
        if (type == "qwen2" && j.Bool("use_sliding_window", false))
            throw new RunnerException($"{j.Path}: use_sliding_window: true is not supported for qwen2 (expected false)");
        return Create(type, j.Int("vocab_size", why), j.Int("hidden_size", why), j.Int("num_hidden_layers", why), j.Int("num_attention_heads", why),
            j.Int("max_position_embeddings", why), dMlp: j.Int("intermediate_size", why), kvHeads: j.OptInt("num_key_value_heads"), headDim: j.OptInt("head_dim")) with
        {
            NormEps = j.Double("rms_norm_eps", 1e-6),
            RopeTheta = theta,
            RopeScaling = scaling,
            Activation = j.OptString("hidden_act") ?? "silu",
            TieWordEmbeddings = j.Bool("tie_word_embeddings", false),
            QkvBias = type == "qwen2" || bias,
            OutBias = type != "qwen2" && bias,
            MlpBias = j.Bool("mlp_bias", false),
            SlidingWindow = window,
        };
    }

    // rope_theta and rope_scaling, or transformers v5's rope_parameters object holding both.
    private static (double Theta, RopeScaling? Scaling, ConfigJson? Parameters) ReadRope(ConfigJson j, double defaultTheta)
    {
        var theta = j.OptDouble("rope_theta") ?? defaultTheta;
        var s = j.Object("rope_scaling");
        var parameters = j.Object("rope_parameters");
        if (parameters is not null)
        {
            theta = parameters.OptDouble("rope_theta") ?? theta;
            s = parameters;
        }
        if (s is null) return (theta, null, parameters);
        var typeKey = s.Has("rope_type") ? "rope_type" : "type";
        var name = s.OptString(typeKey) ?? throw s.Missing("rope_type", $"one of {string.Join(", ", RopeTypes)}");
        var type = name switch
        {
            "default" => (RopeScalingType?)null,
            "linear" => RopeScalingType.Linear,
            "dynamic" => RopeScalingType.Dynamic,
            "llama3" => RopeScalingType.Llama3,
            "yarn" => RopeScalingType.Yarn,
            _ => throw new RunnerException($"{s.Path}: rope_scaling {typeKey} '{name}' is not supported (supported: {string.Join(", ", RopeTypes)})"),
        };
        if (type is null) return (theta, null, parameters);
        double Required(string key) => s.OptDouble(key) ?? throw s.Missing(key, $"required by rope_type {name}");
        var scaling = new RopeScaling { Type = type.Value, Factor = Required("factor") };
        if (type == RopeScalingType.Llama3)
            scaling = scaling with
            {
                LowFreqFactor = Required("low_freq_factor"),
                HighFreqFactor = Required("high_freq_factor"),
                OriginalMaxPositions = s.OptInt("original_max_position_embeddings") ?? throw s.Missing("original_max_position_embeddings", "required by rope_type llama3"),
            };
        if (type == RopeScalingType.Yarn)
            scaling = scaling with
            {
                OriginalMaxPositions = s.OptInt("original_max_position_embeddings"),
                BetaFast = s.OptDouble("beta_fast") is { } f && f != 0 ? f : 32,
                BetaSlow = s.OptDouble("beta_slow") is { } b && b != 0 ? b : 1,
                AttentionFactor = s.OptDouble("attention_factor"),
                Mscale = s.OptDouble("mscale"),
                MscaleAllDim = s.OptDouble("mscale_all_dim"),
                Truncate = s.Bool("truncate", true),
            };
        return (theta, scaling, parameters);
    }

    /// <summary>Writes a config.json that transformers loads (real key names, model_type, architectures).</summary>
    public void Save(string configJsonPath) => Save(configJsonPath, null);

    /// <summary>Writes config.json with <c>torch_dtype</c> set to <paramref name="dtype"/> when given; written to a temporary name, then renamed.</summary>
    public void Save(string configJsonPath, DType? dtype)
    {
        Validate();
        var full = Path.GetFullPath(configJsonPath);
        var json = ToJson(dtype).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        var folder = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(temp, json);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
            throw new RunnerException($"{full}: cannot write: {e.Message}", inner: e);
        }
    }

    private JsonObject ToJson(DType? dtype)
    {
        var o = new SortedDictionary<string, JsonNode?>(StringComparer.Ordinal)
        {
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["bos_token_id"] = BosTokenId,
            ["eos_token_id"] = EosTokenId,
            ["initializer_range"] = InitializerRange,
            ["tie_word_embeddings"] = TieWordEmbeddings,
        };
        if (dtype is { } t) o["torch_dtype"] = t.Name();
        switch (Family)
        {
            case ModelFamily.Gpt2:
                o["architectures"] = new JsonArray("GPT2LMHeadModel");
                o["n_embd"] = DModel;
                o["n_layer"] = Layers;
                o["n_head"] = Heads;
                o["n_positions"] = MaxPositions;
                o["n_ctx"] = MaxPositions;
                o["n_inner"] = DMlp == 4 * DModel ? null : DMlp;
                o["layer_norm_epsilon"] = NormEps;
                o["activation_function"] = Activation;
                o["scale_attn_weights"] = ScaleAttentionWeights;
                o["scale_attn_by_inverse_layer_idx"] = false;
                o["reorder_and_upcast_attn"] = false;
                break;
            case ModelFamily.GptNeoX:
                o["architectures"] = new JsonArray("GPTNeoXForCausalLM");
                o["hidden_size"] = DModel;
                o["num_hidden_layers"] = Layers;
                o["num_attention_heads"] = Heads;
                o["intermediate_size"] = DMlp;
                o["max_position_embeddings"] = MaxPositions;
                o["rotary_pct"] = RotaryFraction;            // transformers < 4.48
                o["partial_rotary_factor"] = RotaryFraction; // later versions
                o["rotary_emb_base"] = RopeTheta;
                o["rope_theta"] = RopeTheta;
                o["rope_scaling"] = RopeScalingJson();
                o["layer_norm_eps"] = NormEps;
                o["use_parallel_residual"] = ParallelResidual;
                o["hidden_act"] = Activation;
                o["attention_bias"] = QkvBias;
                break;
            default:
                o["architectures"] = new JsonArray(ModelType switch { "mistral" => "MistralForCausalLM", "qwen2" => "Qwen2ForCausalLM", _ => "LlamaForCausalLM" });
                o["hidden_size"] = DModel;
                o["intermediate_size"] = DMlp;
                o["num_hidden_layers"] = Layers;
                o["num_attention_heads"] = Heads;
                o["num_key_value_heads"] = KvHeads;
                o["head_dim"] = HeadDim;
                o["max_position_embeddings"] = MaxPositions;
                o["rms_norm_eps"] = NormEps;
                o["rope_theta"] = RopeTheta;
                o["rope_scaling"] = RopeScalingJson();
                o["hidden_act"] = Activation;
                if (ModelType == "llama")
                {
                    o["attention_bias"] = QkvBias;
                    o["mlp_bias"] = MlpBias;
                }
                if (ModelType == "mistral") o["sliding_window"] = SlidingWindow;
                if (ModelType == "qwen2")
                {
                    o["use_sliding_window"] = false;
                    o["sliding_window"] = null;
                    o["max_window_layers"] = Layers;
                }
                break;
        }
        var result = new JsonObject();
        foreach (var (k, v) in o) result[k] = v;
        return result;
    }

    private JsonObject? RopeScalingJson()
    {
        if (RopeScaling is not { } s) return null;
        var o = new JsonObject { ["rope_type"] = RopeScaling.TypeName(s.Type), ["factor"] = s.Factor };
        if (s.Type == RopeScalingType.Llama3)
        {
            o["low_freq_factor"] = s.LowFreqFactor;
            o["high_freq_factor"] = s.HighFreqFactor;
        }
        if (s.OriginalMaxPositions is { } m && s.Type is RopeScalingType.Llama3 or RopeScalingType.Yarn) o["original_max_position_embeddings"] = m;
        if (s.Type == RopeScalingType.Yarn)
        {
            o["beta_fast"] = s.BetaFast;
            o["beta_slow"] = s.BetaSlow;
            if (s.AttentionFactor is { } a) o["attention_factor"] = a;
            if (s.Mscale is { } ms) o["mscale"] = ms;
            if (s.MscaleAllDim is { } all) o["mscale_all_dim"] = all;
            if (!s.Truncate) o["truncate"] = false;
        }
        return o;
    }
}
