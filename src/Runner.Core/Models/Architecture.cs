using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>
/// A family's weights and block math (one subclass per family file). Norms run in float32 and cast
/// back; matmuls run in the model's dtype; logits come back float32.
/// </summary>
internal abstract class Architecture
{
    private readonly IReadOnlyDictionary<string, Tensor> _weights;

    protected Architecture(ModelConfig config, DType dtype, IReadOnlyDictionary<string, Tensor> weights)
    {
        Config = config;
        DType = dtype;
        _weights = weights;
    }

    protected ModelConfig Config { get; }
    protected DType DType { get; }

    /// <summary>ids [B, T] int64 -> the residual stream [B, T, d] (positions from <see cref="ForwardPass.Start"/>).</summary>
    public abstract Tensor Embed(Tensor ids, ForwardPass f);

    /// <summary>Block <paramref name="layer"/>: x [B, T, d] -> [B, T, d], every site through <see cref="ForwardPass.Site"/>.</summary>
    public abstract Tensor Block(int layer, Tensor x, ForwardPass f);

    /// <summary>Final norm and unembedding: x [B, T, d] -> logits [B, T, V] float32.</summary>
    public abstract Tensor Unembed(Tensor x);

    public static IReadOnlyList<WeightSpec> SpecsOf(ModelConfig c) => c.Family switch
    {
        ModelFamily.Gpt2 => Gpt2.Specs(c),
        ModelFamily.GptNeoX => GptNeoX.Specs(c),
        _ => Llama.Specs(c),
    };

    /// <summary>Buffers that checkpoints may hold and the model recomputes (causal masks, inv_freq): ignored on load.</summary>
    public static bool IsBufferOf(ModelConfig c, string name) => c.Family switch
    {
        ModelFamily.Gpt2 => Gpt2.IsBuffer(name),
        ModelFamily.GptNeoX => GptNeoX.IsBuffer(name),
        _ => Llama.IsBuffer(name),
    };

    /// <summary>The unembedding a tied checkpoint may still carry (ignored when it has the embedding's shape).</summary>
    public static string UntiedUnembeddingName(ModelConfig c) => c.Family == ModelFamily.GptNeoX ? "embed_out.weight" : "lm_head.weight";

    public static Architecture Create(ModelConfig c, DType dtype, IReadOnlyDictionary<string, Tensor> weights) => c.Family switch
    {
        ModelFamily.Gpt2 => new Gpt2(c, dtype, weights),
        ModelFamily.GptNeoX => new GptNeoX(c, dtype, weights),
        _ => new Llama(c, dtype, weights),
    };

    protected Tensor W(string name) => _weights[name];

    protected Tensor? OptionalW(string name) => _weights.TryGetValue(name, out var t) ? t : null;

    // LayerNorm in float32: x [.., d] -> [.., d] in the model's dtype.
    protected Tensor LayerNorm(Tensor x, Tensor weight, Tensor bias)
    {
        var y = Functional.LayerNorm(Up(x), [Config.DModel], weight, bias, Config.NormEps);
        return Down(y);
    }

    // RMSNorm in float32 (Llama): w * x / sqrt(mean(x²) + eps).
    protected Tensor RmsNorm(Tensor x, Tensor weight)
    {
        var xf = Up(x);
        var y = xf * (xf.Square().Mean([-1], keepDim: true) + Config.NormEps).Rsqrt() * weight;
        return Down(y);
    }

    // The MLP's nonlinearity. GELU runs in float32 for bf16 models: rounding once at the end is more
    // accurate, and this build's bf16 GELU kernel is slower than converting (15 vs 12 ms on [8, 128, 3072]).
    // The tanh approximation goes through Functional.GeluTanh (x·sigmoid(2z), same function): libtorch
    // 1.13's tanh made gelu(tanh) ~10 % of GPT-2's capture time; this is 2.5x faster.
    protected Tensor Activation(Tensor x) => Config.Activation switch
    {
        // On CUDA the fused kernels compute in float32 internally and round once, as Up/Down would, without
        // the two conversions (a bf16 GPT-2 small capture on an H200 ran at 0.74x PyTorch eager with them).
        "gelu" => x.Device.IsCuda ? x.Gelu() : Down(Up(x).Gelu()),
        "gelu_new" or "gelu_fast" or "gelu_pytorch_tanh" => x.Device.IsCuda ? Functional.GeluTanh(x) : Down(Functional.GeluTanh(Up(x))),
        "relu" => x.Relu(),
        _ => x.Silu(),
    };

    // x [B, T, d] in the model's dtype -> logits [B, T, V] float32.
    protected static Tensor Logits(Tensor x, Tensor unembedding) => Functional.Linear(x, unembedding).To(DType.Float32);

    private Tensor Up(Tensor x) => x.DType == DType.Float32 ? x : x.To(DType.Float32);
    private Tensor Down(Tensor x) => DType == DType.Float32 ? x : x.To(DType);
}
