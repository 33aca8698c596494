namespace Runner.Core.Models;

/// <summary>The transformer architectures Runner runs; each has its own file of weights and block math.</summary>
public enum ModelFamily
{
    /// <summary>GPT-2 (model_type <c>gpt2</c>): learned positions, LayerNorm, Conv1D weights stored [in, out].</summary>
    Gpt2,
    /// <summary>GPT-NeoX / Pythia (<c>gpt_neox</c>): partial rotary, fused per-head qkv, parallel residual.</summary>
    GptNeoX,
    /// <summary>Llama-style (<c>llama</c>, <c>mistral</c>, <c>qwen2</c>): RMSNorm, RoPE, grouped-query attention, gated MLP.</summary>
    Llama,
}
