namespace Runner.Core.Models;

/// <summary>
/// A transformer's hyperparameters, as Hugging Face's config.json gives them (<see cref="FromJson"/>,
/// <see cref="Save"/>). <see cref="Create"/> fills a model_type's defaults as transformers' config
/// classes do; change the rest with <c>with</c>.
/// </summary>
public sealed partial record ModelConfig
{
    /// <summary>The model_types Runner loads, by family.</summary>
    public static readonly IReadOnlyDictionary<string, ModelFamily> SupportedModelTypes = new Dictionary<string, ModelFamily>
    {
        ["gpt2"] = ModelFamily.Gpt2,
        ["gpt_neox"] = ModelFamily.GptNeoX,
        ["llama"] = ModelFamily.Llama,
        ["mistral"] = ModelFamily.Llama,
        ["qwen2"] = ModelFamily.Llama,
    };

    /// <summary>The activations supported (config.json spelling): gelu = exact erf; gelu_new, gelu_fast and gelu_pytorch_tanh = tanh approximation.</summary>
    public static readonly IReadOnlyList<string> SupportedActivations = ["gelu_new", "gelu", "gelu_fast", "gelu_pytorch_tanh", "relu", "silu", "swish"];

    /// <summary>config.json's model_type: gpt2, gpt_neox, llama, mistral, qwen2.</summary>
    public required string ModelType { get; init; }
    /// <summary>The architecture family of <see cref="ModelType"/>.</summary>
    public required ModelFamily Family { get; init; }
    /// <summary>Rows of the embedding and of the unembedding.</summary>
    public required int VocabSize { get; init; }
    /// <summary>Width of the residual stream.</summary>
    public required int DModel { get; init; }
    /// <summary>Number of blocks.</summary>
    public required int Layers { get; init; }
    /// <summary>Query heads.</summary>
    public required int Heads { get; init; }
    /// <summary>Key/value heads (each serves Heads / KvHeads query heads); equals Heads without grouped-query attention.</summary>
    public required int KvHeads { get; init; }
    /// <summary>Width of one head.</summary>
    public required int HeadDim { get; init; }
    /// <summary>Width of the MLP's hidden layer (the mlp_hidden site).</summary>
    public required int DMlp { get; init; }
    /// <summary>n_positions / max_position_embeddings: GPT-2's position table size; the RoPE scaling reference otherwise.</summary>
    public required int MaxPositions { get; init; }
    /// <summary>bos_token_id, when the config names one.</summary>
    public int? BosTokenId { get; init; }
    /// <summary>eos_token_id (the first, when the config lists several).</summary>
    public int? EosTokenId { get; init; }
    /// <summary>layer_norm_epsilon / layer_norm_eps / rms_norm_eps.</summary>
    public double NormEps { get; init; } = 1e-5;
    /// <summary>activation_function / hidden_act, one of <see cref="SupportedActivations"/>.</summary>
    public string Activation { get; init; } = "gelu_new";
    /// <summary>GPT-NeoX's rotary_pct: the fraction of each head that is rotated (1 for Llama-style).</summary>
    public double RotaryFraction { get; init; } = 1;
    /// <summary>rope_theta / rotary_emb_base.</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary>rope_scaling, or null for plain RoPE.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary>Biases on the query, key and value projections.</summary>
    public bool QkvBias { get; init; }
    /// <summary>A bias on the attention's output projection.</summary>
    public bool OutBias { get; init; }
    /// <summary>Biases on the MLP's projections.</summary>
    public bool MlpBias { get; init; }
    /// <summary>tie_word_embeddings: the unembedding is the embedding matrix (no separate lm_head / embed_out).</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>GPT-NeoX's use_parallel_residual: attention and MLP both read the block input.</summary>
    public bool ParallelResidual { get; init; }
    /// <summary>Mistral's sliding_window: each query sees at most this many keys (itself included); null for none.</summary>
    public int? SlidingWindow { get; init; }
    /// <summary>initializer_range: the std of the normal init of weight matrices.</summary>
    public double InitializerRange { get; init; } = 0.02;
    /// <summary>GPT-2's scale_attn_weights: scores divided by sqrt(head_dim) (always on for the other families).</summary>
    public bool ScaleAttentionWeights { get; init; } = true;

    /// <summary>Dimensions of each head that RoPE rotates: (int)(HeadDim * RotaryFraction), 0 for GPT-2.</summary>
    public int RotaryDims => Family == ModelFamily.Gpt2 ? 0 : (int)(HeadDim * RotaryFraction);

    /// <summary>
    /// A config with <paramref name="modelType"/>'s defaults (those of transformers' config class): GPT-2
    /// gelu_new, eps 1e-5, all biases, tied embeddings, d_mlp 4·d; GPT-NeoX exact gelu, rotary_pct 0.25,
    /// parallel residual, biases, untied; Llama/Mistral silu, eps 1e-6, no biases, untied; Qwen2 the same
    /// with q/k/v biases. <paramref name="headDim"/> defaults to dModel / heads, <paramref name="kvHeads"/> to heads.
    /// </summary>
    public static ModelConfig Create(string modelType, int vocabSize, int dModel, int layers, int heads, int maxPositions,
        int? dMlp = null, int? kvHeads = null, int? headDim = null)
    {
        if (!SupportedModelTypes.TryGetValue(modelType, out var family))
            throw new RunnerException($"unknown model_type '{modelType}' (supported: {string.Join(", ", SupportedModelTypes.Keys)})");
        var c = new ModelConfig
        {
            ModelType = modelType, Family = family, VocabSize = vocabSize, DModel = dModel, Layers = layers, Heads = heads,
            KvHeads = kvHeads ?? heads, HeadDim = headDim ?? (heads > 0 ? dModel / heads : 0), DMlp = dMlp ?? 4 * dModel, MaxPositions = maxPositions,
        };
        return family switch
        {
            ModelFamily.Gpt2 => c with { QkvBias = true, OutBias = true, MlpBias = true, TieWordEmbeddings = true },
            ModelFamily.GptNeoX => c with { Activation = "gelu", RotaryFraction = 0.25, QkvBias = true, OutBias = true, MlpBias = true, ParallelResidual = true },
            _ => c with { Activation = "silu", NormEps = 1e-6, QkvBias = modelType == "qwen2" },
        };
    }

    /// <summary>Checks sizes and family constraints; a <see cref="RunnerException"/> prefixed with <paramref name="where"/>.</summary>
    public void Validate(string where = "model config")
    {
        void Require(bool ok, string message)
        {
            if (!ok) throw new RunnerException($"{where}: {message}");
        }
        Require(SupportedModelTypes.TryGetValue(ModelType, out var family) && family == Family,
            $"model_type '{ModelType}' is not a {Family} model_type (supported: {string.Join(", ", SupportedModelTypes.Keys)})");
        foreach (var (name, value) in new[] { ("vocab_size", VocabSize), ("hidden size", DModel), ("layers", Layers), ("heads", Heads),
                     ("key/value heads", KvHeads), ("head_dim", HeadDim), ("MLP width", DMlp), ("max positions", MaxPositions) })
            Require(value > 0, $"{name} must be positive, got {value}");
        Require(Heads % KvHeads == 0, $"{Heads} attention heads are not a multiple of {KvHeads} key/value heads");
        Require(SupportedActivations.Contains(Activation), $"activation '{Activation}' is not supported (supported: {string.Join(", ", SupportedActivations)})");
        Require(NormEps > 0, $"norm epsilon must be positive, got {NormEps}");
        if (Family != ModelFamily.Llama)
        {
            Require(Heads * HeadDim == DModel, $"hidden size {DModel} is not divisible by {Heads} heads");
            Require(KvHeads == Heads, $"{ModelType} has no grouped-query attention ({KvHeads} key/value heads for {Heads} heads)");
        }
        if (Family != ModelFamily.Gpt2)
        {
            Require(RotaryDims > 0 && RotaryDims % 2 == 0 && RotaryDims <= HeadDim, $"rotary dimensions must be even and in 2..{HeadDim}, got {RotaryDims}");
            Require(RopeTheta > 1, $"rope_theta must be > 1, got {RopeTheta}");
        }
        Require(RopeScaling is null || RopeScaling.Factor > 0, $"rope_scaling.factor must be positive, got {RopeScaling?.Factor}");
        Require(SlidingWindow is null or > 0, $"sliding_window must be positive, got {SlidingWindow}");
        Require(SlidingWindow is null || ModelType == "mistral", $"{ModelType} has no sliding_window (mistral only)");
        if (Family == ModelFamily.Gpt2) Require(QkvBias && OutBias && MlpBias, "gpt2 always has attention and MLP biases");
        if (Family == ModelFamily.GptNeoX) Require(QkvBias == OutBias && MlpBias, "gpt_neox's attention_bias covers qkv and dense together, and its MLP always has biases");
        if (ModelType == "mistral") Require(!QkvBias && !OutBias && !MlpBias, "mistral has no attention or MLP biases");
        if (ModelType == "qwen2") Require(QkvBias && !OutBias && !MlpBias, "qwen2 has q/k/v biases only");
        if (Family == ModelFamily.Llama) Require(QkvBias == OutBias || ModelType == "qwen2", "llama's attention_bias covers q, k, v and o together");
    }

    /// <summary>The width of the activation at <paramref name="site"/>: d_mlp for mlp_hidden, else d_model.</summary>
    public long SiteWidth(HookSite site) => site == HookSite.MlpHidden ? DMlp : DModel;
}
