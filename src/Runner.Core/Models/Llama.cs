using System.Text.RegularExpressions;
using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>
/// Llama-style models (transformers' modeling_llama.py; Mistral and Qwen2 differ only in config):
/// RMSNorm in float32, RoPE over the whole head, grouped-query attention, and the gated MLP
/// down(act(gate(x)) · up(x)), whose mlp_hidden is act(gate(x)) · up(x).
/// </summary>
internal sealed partial class Llama(ModelConfig c, DType dtype, IReadOnlyDictionary<string, Tensor> weights) : Architecture(c, dtype, weights)
{
    public static IReadOnlyList<WeightSpec> Specs(ModelConfig c)
    {
        long d = c.DModel, m = c.DMlp, q = (long)c.Heads * c.HeadDim, kv = (long)c.KvHeads * c.HeadDim;
        var s = c.InitializerRange;
        var specs = new List<WeightSpec> { WeightSpec.Normal("model.embed_tokens.weight", s, c.VocabSize, d) };
        void Linear(string name, long outDim, long inDim, bool bias)
        {
            specs.Add(WeightSpec.Normal(name + ".weight", s, outDim, inDim));
            if (bias) specs.Add(WeightSpec.Zeros(name + ".bias", outDim));
        }
        for (var i = 0; i < c.Layers; i++)
        {
            var p = $"model.layers.{i}.";
            specs.Add(WeightSpec.NormWeight(p + "input_layernorm.weight", d));
            Linear(p + "self_attn.q_proj", q, d, c.QkvBias);
            Linear(p + "self_attn.k_proj", kv, d, c.QkvBias);
            Linear(p + "self_attn.v_proj", kv, d, c.QkvBias);
            Linear(p + "self_attn.o_proj", d, q, c.OutBias);
            specs.Add(WeightSpec.NormWeight(p + "post_attention_layernorm.weight", d));
            Linear(p + "mlp.gate_proj", m, d, c.MlpBias);
            Linear(p + "mlp.up_proj", m, d, c.MlpBias);
            Linear(p + "mlp.down_proj", d, m, c.MlpBias);
        }
        specs.Add(WeightSpec.NormWeight("model.norm.weight", d));
        if (!c.TieWordEmbeddings) specs.Add(WeightSpec.Normal("lm_head.weight", s, c.VocabSize, d));
        return specs;
    }

    public static bool IsBuffer(string name) => BufferName().IsMatch(name);

    [GeneratedRegex(@"^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$")]
    private static partial Regex BufferName();

    public override Tensor Embed(Tensor ids, ForwardPass f) => Functional.Embedding(W("model.embed_tokens.weight"), ids);

    public override Tensor Block(int l, Tensor x, ForwardPass f)
    {
        var p = $"model.layers.{l}.";
        long b = f.Batch, t = f.Length, hd = Config.HeadDim;
        x = f.Site(l, HookSite.ResidPre, x);
        var h = RmsNorm(x, W(p + "input_layernorm.weight"));
        var q = f.Rotate(Proj(h, p + "self_attn.q_proj").View(b, t, Config.Heads, hd).Transpose(1, 2));     // [B, H, T, hd]
        var k = f.Rotate(Proj(h, p + "self_attn.k_proj").View(b, t, Config.KvHeads, hd).Transpose(1, 2));   // [B, KvH, T, hd]
        var v = Proj(h, p + "self_attn.v_proj").View(b, t, Config.KvHeads, hd).Transpose(1, 2);
        var attention = f.Attend(l, q, k, v, 1 / Math.Sqrt(hd));                                           // [B, T, H·hd]
        var attnOut = f.Site(l, HookSite.AttnOut, Proj(attention, p + "self_attn.o_proj"));
        var mid = f.Site(l, HookSite.ResidMid, x + attnOut);
        var h2 = RmsNorm(mid, W(p + "post_attention_layernorm.weight"));
        var hidden = f.Site(l, HookSite.MlpHidden, Activation(Proj(h2, p + "mlp.gate_proj")) * Proj(h2, p + "mlp.up_proj"));
        var mlpOut = f.Site(l, HookSite.MlpOut, Proj(hidden, p + "mlp.down_proj"));
        return f.Site(l, HookSite.ResidPost, mid + mlpOut);
    }

    public override Tensor Unembed(Tensor x) =>
        Logits(RmsNorm(x, W("model.norm.weight")), Config.TieWordEmbeddings ? W("model.embed_tokens.weight") : W("lm_head.weight"));

    // nn.Linear: x [.., in] -> [.., out] with W [out, in] and the bias when the checkpoint has one
    private Tensor Proj(Tensor x, string name) => Functional.Linear(x, W(name + ".weight"), OptionalW(name + ".bias"));
}
