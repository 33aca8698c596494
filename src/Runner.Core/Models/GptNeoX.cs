using System.Text.RegularExpressions;
using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>
/// GPT-NeoX / Pythia (transformers' modeling_gpt_neox.py): a fused qkv projection whose output is laid
/// out per head as [heads, 3, head_dim], rotary embeddings on the first rotary_pct of each head, and
/// (by default) the parallel residual x + attn(ln1(x)) + mlp(ln2(x)). There resid_mid is x + attn_out
/// and the MLP still reads ln2(resid_pre); resid_post = resid_mid + mlp_out.
/// </summary>
internal sealed partial class GptNeoX(ModelConfig c, DType dtype, IReadOnlyDictionary<string, Tensor> weights) : Architecture(c, dtype, weights)
{
    public static IReadOnlyList<WeightSpec> Specs(ModelConfig c)
    {
        long d = c.DModel, m = c.DMlp;
        var s = c.InitializerRange;
        var specs = new List<WeightSpec> { WeightSpec.Normal("gpt_neox.embed_in.weight", s, c.VocabSize, d) };
        for (var i = 0; i < c.Layers; i++)
        {
            var p = $"gpt_neox.layers.{i}.";
            specs.AddRange(
            [
                WeightSpec.NormWeight(p + "input_layernorm.weight", d), WeightSpec.NormBias(p + "input_layernorm.bias", d),
                WeightSpec.NormWeight(p + "post_attention_layernorm.weight", d), WeightSpec.NormBias(p + "post_attention_layernorm.bias", d),
                WeightSpec.Normal(p + "attention.query_key_value.weight", s, 3 * d, d),
            ]);
            if (c.QkvBias) specs.Add(WeightSpec.Zeros(p + "attention.query_key_value.bias", 3 * d));
            specs.Add(WeightSpec.Normal(p + "attention.dense.weight", s, d, d));
            if (c.OutBias) specs.Add(WeightSpec.Zeros(p + "attention.dense.bias", d));
            specs.AddRange(
            [
                WeightSpec.Normal(p + "mlp.dense_h_to_4h.weight", s, m, d), WeightSpec.Zeros(p + "mlp.dense_h_to_4h.bias", m),
                WeightSpec.Normal(p + "mlp.dense_4h_to_h.weight", s, d, m), WeightSpec.Zeros(p + "mlp.dense_4h_to_h.bias", d),
            ]);
        }
        specs.AddRange([WeightSpec.NormWeight("gpt_neox.final_layer_norm.weight", d), WeightSpec.NormBias("gpt_neox.final_layer_norm.bias", d)]);
        if (!c.TieWordEmbeddings) specs.Add(WeightSpec.Normal("embed_out.weight", s, c.VocabSize, d));
        return specs;
    }

    public static bool IsBuffer(string name) => BufferName().IsMatch(name);

    [GeneratedRegex(@"^gpt_neox\.layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)$")]
    private static partial Regex BufferName();

    public override Tensor Embed(Tensor ids, ForwardPass f) => Functional.Embedding(W("gpt_neox.embed_in.weight"), ids);

    public override Tensor Block(int l, Tensor x, ForwardPass f)
    {
        var p = $"gpt_neox.layers.{l}.";
        long b = f.Batch, t = f.Length, h = Config.Heads, hd = Config.HeadDim;
        x = f.Site(l, HookSite.ResidPre, x);
        var ln1 = LayerNorm(x, W(p + "input_layernorm.weight"), W(p + "input_layernorm.bias"));
        var qkv = Functional.Linear(ln1, W(p + "attention.query_key_value.weight"), OptionalW(p + "attention.query_key_value.bias"))
            .View(b, t, h, 3, hd);                                       // per head (q | k | v), NOT [3, heads, hd]
        var q = f.Rotate(qkv.Select(3, 0).Transpose(1, 2));             // [B, H, T, hd]
        var k = f.Rotate(qkv.Select(3, 1).Transpose(1, 2));
        var v = qkv.Select(3, 2).Transpose(1, 2);
        var attention = f.Attend(l, q, k, v, 1 / Math.Sqrt(hd));        // [B, T, d]
        var attnOut = f.Site(l, HookSite.AttnOut, Functional.Linear(attention, W(p + "attention.dense.weight"), OptionalW(p + "attention.dense.bias")));
        var mid = f.Site(l, HookSite.ResidMid, x + attnOut);
        var ln2 = LayerNorm(Config.ParallelResidual ? x : mid, W(p + "post_attention_layernorm.weight"), W(p + "post_attention_layernorm.bias"));
        var hidden = f.Site(l, HookSite.MlpHidden, Activation(Functional.Linear(ln2, W(p + "mlp.dense_h_to_4h.weight"), W(p + "mlp.dense_h_to_4h.bias"))));
        var mlpOut = f.Site(l, HookSite.MlpOut, Functional.Linear(hidden, W(p + "mlp.dense_4h_to_h.weight"), W(p + "mlp.dense_4h_to_h.bias")));
        return f.Site(l, HookSite.ResidPost, mid + mlpOut);
    }

    public override Tensor Unembed(Tensor x) =>
        Logits(LayerNorm(x, W("gpt_neox.final_layer_norm.weight"), W("gpt_neox.final_layer_norm.bias")),
            Config.TieWordEmbeddings ? W("gpt_neox.embed_in.weight") : W("embed_out.weight"));
}
