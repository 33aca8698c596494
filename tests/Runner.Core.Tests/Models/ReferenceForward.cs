using Runner.Core.Models;
using Runner.Torch;

namespace Runner.Core.Tests.Models;

/// <summary>
/// Plain double-precision forwards of one sequence written with loops from the weights read out as
/// arrays, following transformers' modeling files, independently of the tensor code: GPT-2's Conv1D
/// orientation ([in, out]), NeoX's per-head [heads, 3, head_dim] qkv layout and partial rotary,
/// Llama's grouped-query attention and RoPE. Returns logits [T][V].
/// </summary>
internal sealed class ReferenceForward
{
    private readonly Dictionary<string, (double[] Data, long[] Shape)> _w = [];
    private readonly ModelConfig _c;

    public ReferenceForward(TransformerModel model)
    {
        _c = model.Config;
        foreach (var (name, t) in model.Parameters) _w[name] = (ModelTestKit.Values(t), t.Shape);
    }

    private double[] V(string name) => _w[name].Data;
    private double M(string name, long row, long col) => _w[name].Data[row * _w[name].Shape[1] + col];

    public double[][] Logits(long[] ids) => _c.Family switch
    {
        ModelFamily.Gpt2 => Gpt2(ids),
        ModelFamily.GptNeoX => NeoX(ids),
        _ => Llama(ids),
    };

    private double[][] Gpt2(long[] ids)
    {
        int d = _c.DModel, t = ids.Length;
        var x = Enumerable.Range(0, t).Select(i => Enumerable.Range(0, d).Select(j => M("wte.weight", ids[i], j) + M("wpe.weight", i, j)).ToArray()).ToArray();
        for (var l = 0; l < _c.Layers; l++)
        {
            var p = $"h.{l}.";
            // Conv1D: y[j] = Σ_i x[i] W[i, j] + b[j]
            double[] Conv(double[] v, string n) => Enumerable.Range(0, (int)_w[n + ".weight"].Shape[1])
                .Select(j => Enumerable.Range(0, v.Length).Sum(i => v[i] * M(n + ".weight", i, j)) + V(n + ".bias")[j]).ToArray();
            var qkv = x.Select(v => Conv(LayerNorm(v, p + "ln_1"), p + "attn.c_attn")).ToArray();
            var q = qkv.Select(r => r[..d]).ToArray();
            var k = qkv.Select(r => r[d..(2 * d)]).ToArray();
            var vv = qkv.Select(r => r[(2 * d)..]).ToArray();
            var a = Attention(q, k, vv, _c.Heads, _c.Heads);
            x = x.Select((r, i) => Add(r, Conv(a[i], p + "attn.c_proj"))).ToArray();
            x = x.Select(r => Add(r, Conv(Conv(LayerNorm(r, p + "ln_2"), p + "mlp.c_fc").Select(GeluTanh).ToArray(), p + "mlp.c_proj"))).ToArray();
        }
        return x.Select(r => Unembed(LayerNorm(r, "ln_f"), "wte.weight")).ToArray();
    }

    private double[][] NeoX(long[] ids)
    {
        int d = _c.DModel, hd = _c.HeadDim, t = ids.Length;
        var x = ids.Select(id => Enumerable.Range(0, d).Select(j => M("gpt_neox.embed_in.weight", id, j)).ToArray()).ToArray();
        for (var l = 0; l < _c.Layers; l++)
        {
            var p = $"gpt_neox.layers.{l}.";
            var qkv = x.Select(r => Linear(LayerNorm(r, p + "input_layernorm"), p + "attention.query_key_value")).ToArray();
            // head n's slice of the qkv output is [q(hd) | k(hd) | v(hd)] at n·3·hd
            double[] Part(double[] r, int which) => Enumerable.Range(0, _c.Heads).SelectMany(n => r.Skip(n * 3 * hd + which * hd).Take(hd)).ToArray();
            var q = qkv.Select((r, i) => Rotate(Part(r, 0), i, _c.Heads)).ToArray();
            var k = qkv.Select((r, i) => Rotate(Part(r, 1), i, _c.Heads)).ToArray();
            var v = qkv.Select(r => Part(r, 2)).ToArray();
            var a = Attention(q, k, v, _c.Heads, _c.Heads);
            var attn = a.Select(r => Linear(r, p + "attention.dense")).ToArray();
            var mid = x.Select((r, i) => Add(r, attn[i])).ToArray();
            var mlpIn = _c.ParallelResidual ? x : mid;
            var mlp = mlpIn.Select(r => Linear(Linear(LayerNorm(r, p + "post_attention_layernorm"), p + "mlp.dense_h_to_4h").Select(Act).ToArray(), p + "mlp.dense_4h_to_h")).ToArray();
            x = mid.Select((r, i) => Add(r, mlp[i])).ToArray();
        }
        return x.Select(r => Unembed(LayerNorm(r, "gpt_neox.final_layer_norm"), _c.TieWordEmbeddings ? "gpt_neox.embed_in.weight" : "embed_out.weight")).ToArray();
    }

    private double[][] Llama(long[] ids)
    {
        int d = _c.DModel;
        var x = ids.Select(id => Enumerable.Range(0, d).Select(j => M("model.embed_tokens.weight", id, j)).ToArray()).ToArray();
        for (var l = 0; l < _c.Layers; l++)
        {
            var p = $"model.layers.{l}.";
            var h = x.Select(r => RmsNorm(r, p + "input_layernorm.weight")).ToArray();
            var q = h.Select((r, i) => Rotate(Linear(r, p + "self_attn.q_proj"), i, _c.Heads)).ToArray();
            var k = h.Select((r, i) => Rotate(Linear(r, p + "self_attn.k_proj"), i, _c.KvHeads)).ToArray();
            var v = h.Select(r => Linear(r, p + "self_attn.v_proj")).ToArray();
            var a = Attention(q, k, v, _c.Heads, _c.KvHeads);
            x = x.Select((r, i) => Add(r, Linear(a[i], p + "self_attn.o_proj"))).ToArray();
            x = x.Select(r =>
            {
                var n = RmsNorm(r, p + "post_attention_layernorm.weight");
                var gate = Linear(n, p + "mlp.gate_proj");
                var up = Linear(n, p + "mlp.up_proj");
                return Add(r, Linear(gate.Select((g, j) => Act(g) * up[j]).ToArray(), p + "mlp.down_proj"));
            }).ToArray();
        }
        return x.Select(r => Unembed(RmsNorm(r, "model.norm.weight"), _c.TieWordEmbeddings ? "model.embed_tokens.weight" : "lm_head.weight")).ToArray();
    }

    // Causal softmax attention per head; query head n reads kv head n / (heads / kvHeads). Rows: [T][heads·hd].
    private double[][] Attention(double[][] q, double[][] k, double[][] v, int heads, int kvHeads)
    {
        int hd = _c.HeadDim, t = q.Length;
        var scale = _c.Family == ModelFamily.Gpt2 && !_c.ScaleAttentionWeights ? 1 : 1 / Math.Sqrt(hd);
        var output = new double[t][];
        for (var i = 0; i < t; i++)
        {
            output[i] = new double[heads * hd];
            for (var n = 0; n < heads; n++)
            {
                var kv = n / (heads / kvHeads);
                var first = _c.SlidingWindow is { } w ? Math.Max(0, i - w + 1) : 0;
                var scores = new double[i + 1];
                for (var j = 0; j <= i; j++)
                    scores[j] = j < first ? double.NegativeInfinity : Enumerable.Range(0, hd).Sum(e => q[i][n * hd + e] * k[j][kv * hd + e]) * scale;
                var max = scores.Max();
                var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                var total = weights.Sum();
                for (var j = 0; j <= i; j++)
                    for (var e = 0; e < hd; e++) output[i][n * hd + e] += weights[j] / total * v[j][kv * hd + e];
            }
        }
        return output;
    }

    // rotate_half RoPE at position pos over the first rotary dims of each of `heads` heads.
    private double[] Rotate(double[] x, int pos, int heads)
    {
        int hd = _c.HeadDim, r = _c.RotaryDims;
        var y = (double[])x.Clone();
        var (inv, factor) = Rope.Frequencies(_c);   // checked against hand-worked values in RopeTests
        for (var n = 0; n < heads; n++)
            for (var i = 0; i < r / 2; i++)
            {
                var angle = pos * inv[i];
                double a = x[n * hd + i], b = x[n * hd + i + r / 2], cos = Math.Cos(angle) * factor, sin = Math.Sin(angle) * factor;
                y[n * hd + i] = a * cos - b * sin;
                y[n * hd + i + r / 2] = b * cos + a * sin;
            }
        return y;
    }

    // nn.Linear: y[o] = Σ_i W[o, i] x[i] + b[o]
    private double[] Linear(double[] x, string name) => Enumerable.Range(0, (int)_w[name + ".weight"].Shape[0])
        .Select(o => Enumerable.Range(0, x.Length).Sum(i => M(name + ".weight", o, i) * x[i]) + (_w.ContainsKey(name + ".bias") ? V(name + ".bias")[o] : 0)).ToArray();

    private double[] Unembed(double[] x, string name) => Enumerable.Range(0, _c.VocabSize).Select(v => Enumerable.Range(0, x.Length).Sum(i => M(name, v, i) * x[i])).ToArray();

    private double[] LayerNorm(double[] x, string name)
    {
        var mean = x.Average();
        var variance = x.Select(v => (v - mean) * (v - mean)).Average();
        return x.Select((v, i) => (v - mean) / Math.Sqrt(variance + _c.NormEps) * V(name + ".weight")[i] + V(name + ".bias")[i]).ToArray();
    }

    private double[] RmsNorm(double[] x, string weight)
    {
        var rms = Math.Sqrt(x.Select(v => v * v).Average() + _c.NormEps);
        return x.Select((v, i) => v / rms * V(weight)[i]).ToArray();
    }

    private static double[] Add(double[] a, double[] b) => a.Select((v, i) => v + b[i]).ToArray();

    private double Act(double x) => _c.Activation switch
    {
        "gelu" => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        "gelu_new" => GeluTanh(x),
        "relu" => Math.Max(0, x),
        _ => x / (1 + Math.Exp(-x)),
    };

    private static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    // erf by its Maclaurin series (|x| < 3 here), then the asymptotic tail: accurate to ~1e-12 in range.
    private static double Erf(double x)
    {
        if (Math.Abs(x) > 5) return Math.Sign(x);
        double sum = 0, term = x;
        for (var n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
