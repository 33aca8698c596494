using System.Text.RegularExpressions;
using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>
/// GPT-2 (transformers' modeling_gpt2.py): learned position embeddings, pre-LayerNorm blocks, a fused
/// qkv projection. Its Conv1D layers store weights [in, out] and compute y = x @ W + b; they run as
/// Linear over the transposed view (addmm on the stored matrix, no copy).
/// </summary>
internal sealed partial class Gpt2(ModelConfig c, DType dtype, IReadOnlyDictionary<string, Tensor> weights) : Architecture(c, dtype, weights)
{
    public static IReadOnlyList<WeightSpec> Specs(ModelConfig c)
    {
        long d = c.DModel, m = c.DMlp;
        var s = c.InitializerRange;
        var proj = s / Math.Sqrt(2.0 * c.Layers);   // _init_weights: c_proj scaled by 1/sqrt(2·n_layer)
        var specs = new List<WeightSpec> { WeightSpec.Normal("wte.weight", s, c.VocabSize, d), WeightSpec.Normal("wpe.weight", s, c.MaxPositions, d) };
        for (var i = 0; i < c.Layers; i++)
        {
            var p = $"h.{i}.";
            specs.AddRange(
            [
                WeightSpec.NormWeight(p + "ln_1.weight", d), WeightSpec.NormBias(p + "ln_1.bias", d),
                WeightSpec.Normal(p + "attn.c_attn.weight", s, d, 3 * d), WeightSpec.Zeros(p + "attn.c_attn.bias", 3 * d),
                WeightSpec.Normal(p + "attn.c_proj.weight", proj, d, d), WeightSpec.Zeros(p + "attn.c_proj.bias", d),
                WeightSpec.NormWeight(p + "ln_2.weight", d), WeightSpec.NormBias(p + "ln_2.bias", d),
                WeightSpec.Normal(p + "mlp.c_fc.weight", s, d, m), WeightSpec.Zeros(p + "mlp.c_fc.bias", m),
                WeightSpec.Normal(p + "mlp.c_proj.weight", proj, m, d), WeightSpec.Zeros(p + "mlp.c_proj.bias", d),
            ]);
        }
        specs.AddRange([WeightSpec.NormWeight("ln_f.weight", d), WeightSpec.NormBias("ln_f.bias", d)]);
        if (!c.TieWordEmbeddings) specs.Add(WeightSpec.Normal("lm_head.weight", s, c.VocabSize, d));
        return specs;
    }

    /// <summary>The prefix GPT2LMHeadModel's checkpoints put before every name but lm_head's.</summary>
    public const string Prefix = "transformer.";

    public static bool IsBuffer(string name) => BufferName().IsMatch(name);

    [GeneratedRegex(@"^(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)$")]
    private static partial Regex BufferName();

    // ids [B, T] -> wte[ids] + wpe[positions] [B, T, d]
    public override Tensor Embed(Tensor ids, ForwardPass f)
    {
        if (f.Start + f.Length > Config.MaxPositions)
            throw new RunnerException($"GPT-2 has {Config.MaxPositions} positions (n_positions); this forward needs positions up to {f.Start + f.Length}");
        var positions = Tensors.Arange(f.Start, f.Start + f.Length, 1, DType.Int64, ids.Device);
        return Functional.Embedding(W("wte.weight"), ids) + Functional.Embedding(W("wpe.weight"), positions);
    }

    public override Tensor Block(int l, Tensor x, ForwardPass f)
    {
        var p = $"h.{l}.";
        long b = f.Batch, t = f.Length, h = Config.Heads, hd = Config.HeadDim;
        x = f.Site(l, HookSite.ResidPre, x);
        var qkv = Conv1D(LayerNorm(x, W(p + "ln_1.weight"), W(p + "ln_1.bias")), p + "attn.c_attn");   // [B, T, 3d] = (q | k | v)
        var heads = qkv.View(b, t, 3, h, hd).Permute(2, 0, 3, 1, 4);                                   // [3, B, H, T, hd]
        var scale = Config.ScaleAttentionWeights ? 1 / Math.Sqrt(hd) : 1.0;
        var attention = f.Attend(l, heads.Select(0, 0), heads.Select(0, 1), heads.Select(0, 2), scale); // [B, T, d]
        var attnOut = f.Site(l, HookSite.AttnOut, Conv1D(attention, p + "attn.c_proj"));
        x = f.Site(l, HookSite.ResidMid, x + attnOut);
        var hidden = f.Site(l, HookSite.MlpHidden, Activation(Conv1D(LayerNorm(x, W(p + "ln_2.weight"), W(p + "ln_2.bias")), p + "mlp.c_fc")));
        var mlpOut = f.Site(l, HookSite.MlpOut, Conv1D(hidden, p + "mlp.c_proj"));
        return f.Site(l, HookSite.ResidPost, x + mlpOut);
    }

    public override Tensor Unembed(Tensor x) =>
        Logits(LayerNorm(x, W("ln_f.weight"), W("ln_f.bias")), Config.TieWordEmbeddings ? W("wte.weight") : W("lm_head.weight"));

    // Conv1D: x [.., in] @ W [in, out] + b -> [.., out]
    private Tensor Conv1D(Tensor x, string name) => Functional.Linear(x, W(name + ".weight").T, W(name + ".bias"));
}
