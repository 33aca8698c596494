using static Runner.Torch.Tests.Approx;

namespace Runner.Torch.Tests;

public sealed class NeuralNetTests
{
    private static readonly double[] Logits = [1, 2, 3, 0.5, -1, 0, 2, 4, 0.1, 0.2, 0.3, -0.4];   // [3, 4]

    private static double[] LogSoftmaxRow(double[] x, int row, int n)
    {
        var r = x.Skip(row * n).Take(n).ToArray();
        var max = r.Max();
        var lse = max + Math.Log(r.Sum(v => Math.Exp(v - max)));
        return r.Select(v => v - lse).ToArray();
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Softmax_rows_sum_to_one_and_match_exp_over_sum(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Logits, 3, 4).To(device);
        var p = Functional.Softmax(x);
        var expected = Enumerable.Range(0, 3).SelectMany(r =>
        {
            var row = Logits.Skip(r * 4).Take(4).ToArray();
            var z = row.Sum(Math.Exp);
            return row.Select(v => Math.Exp(v) / z);
        }).ToArray();
        Equal(expected, p, 1e-12);
        Equal([1.0, 1.0, 1.0], p.Sum(1), 1e-12);

        var columns = Functional.Softmax(x, 0);
        Equal([1.0, 1.0, 1.0, 1.0], columns.Sum(0), 1e-12);
        Assert.Equal(Math.Exp(1) / (Math.Exp(1) + Math.Exp(-1) + Math.Exp(0.1)), Values(columns)[0], 12);
    }

    [Fact]
    public void Softmax_of_large_logits_stays_finite()
    {
        using var scope = TensorScope.Enter();
        var p = Functional.Softmax(Tensors.From(new[] { 1000f, 1000f, 0f }));
        Equal([0.5, 0.5, 0], p, 1e-6);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void LogSoftmax_equals_the_log_of_softmax(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Logits, 3, 4).To(device);
        var expected = Enumerable.Range(0, 3).SelectMany(r => LogSoftmaxRow(Logits, r, 4)).ToArray();
        Equal(expected, Functional.LogSoftmax(x), 1e-12);
        Equal(Values(Functional.Softmax(x).Log()), Functional.LogSoftmax(x, -1), 1e-12);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void CrossEntropy_is_the_mean_negative_log_softmax_at_the_targets(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Logits, 3, 4).To(device);
        var target = Tensors.From(new long[] { 0, 3, 1 }).To(device);
        var perSample = new[] { -LogSoftmaxRow(Logits, 0, 4)[0], -LogSoftmaxRow(Logits, 1, 4)[3], -LogSoftmaxRow(Logits, 2, 4)[1] };

        var mean = Functional.CrossEntropy(x, target);
        Assert.Empty(mean.Shape);
        Assert.Equal(perSample.Average(), mean.ToDouble(), 12);
        var none = Functional.CrossEntropy(x, target, Reduction.None);
        Assert.Equal([3L], none.Shape);
        Equal(perSample, none, 1e-12);
        Assert.Equal(perSample.Sum(), Functional.CrossEntropy(x, target, Reduction.Sum).ToDouble(), 12);
    }

    [Fact]
    public void CrossEntropy_leaves_ignored_targets_out_of_the_mean()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Logits, 3, 4);
        var l0 = -LogSoftmaxRow(Logits, 0, 4)[0];
        var l2 = -LogSoftmaxRow(Logits, 2, 4)[1];
        var ignoredDefault = Functional.CrossEntropy(x, Tensors.From(new long[] { 0, -100, 1 }));
        Assert.Equal((l0 + l2) / 2, ignoredDefault.ToDouble(), 12);
        var ignoredCustom = Functional.CrossEntropy(x, Tensors.From(new long[] { 0, 2, 1 }), ignoreIndex: 2);
        Assert.Equal((l0 + l2) / 2, ignoredCustom.ToDouble(), 12);
        var none = Functional.CrossEntropy(x, Tensors.From(new long[] { 0, 2, 1 }), Reduction.None, ignoreIndex: 2);
        Equal([l0, 0, l2], none, 1e-12);
    }

    [Fact]
    public void CrossEntropy_with_label_smoothing_mixes_in_the_uniform_target()
    {
        using var scope = TensorScope.Enter();
        var x = Tensors.From(Logits, 3, 4);
        long[] t = [0, 3, 1];
        const double eps = 0.1;
        var expected = Enumerable.Range(0, 3).Select(r =>
        {
            var ls = LogSoftmaxRow(Logits, r, 4);
            return (1 - eps) * -ls[t[r]] + eps * -ls.Average();
        }).Average();
        Assert.Equal(expected, Functional.CrossEntropy(x, Tensors.From(t), labelSmoothing: eps).ToDouble(), 12);
    }

    [Fact]
    public void CrossEntropy_over_a_sequence_takes_classes_in_dimension_one()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(4);
        var logits = Tensors.Randn([2, 5, 3], g, DType.Float64);                       // [n, classes, positions]
        var target = Tensors.From(new long[] { 0, 4, 2, 1, 1, 3 }, 2, 3);
        var flat = logits.Permute(0, 2, 1).Reshape(6, 5);
        var expected = Functional.CrossEntropy(flat, target.Reshape(6));
        Assert.Equal(expected.ToDouble(), Functional.CrossEntropy(logits, target).ToDouble(), 12);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void LayerNorm_with_weight_bias_and_eps_matches_the_formula(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        double[] x = [1, 2, 3, 4, -1, 0, 5, 2];
        double[] w = [0.5, 1, 2, -1];
        double[] b = [0, 1, -1, 0.5];
        const double eps = 1e-3;
        var expected = new double[8];
        for (var r = 0; r < 2; r++)
        {
            var row = x.Skip(4 * r).Take(4).ToArray();
            var mean = row.Average();
            var variance = row.Sum(v => (v - mean) * (v - mean)) / 4;       // biased
            for (var i = 0; i < 4; i++) expected[4 * r + i] = (row[i] - mean) / Math.Sqrt(variance + eps) * w[i] + b[i];
        }
        var y = Functional.LayerNorm(Tensors.From(x, 2, 4).To(device), [4], Tensors.From(w).To(device), Tensors.From(b).To(device), eps);
        Assert.Equal([2L, 4L], y.Shape);
        Equal(expected, y, 1e-12);
    }

    [Fact]
    public void LayerNorm_without_affine_gives_zero_mean_unit_variance_rows()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(6);
        var x = Tensors.Randn([3, 2, 16], g, DType.Float64) * 5 + 3;
        var y = Functional.LayerNorm(x, [2, 16], eps: 0);
        Equal([0.0, 0, 0], y.Mean([1, 2]), 1e-12);
        Equal([1.0, 1, 1], y.Var([1, 2], correction: 0), 1e-10);
    }

    [Fact]
    public void MseLoss_is_the_mean_squared_difference()
    {
        using var scope = TensorScope.Enter();
        var loss = Functional.MseLoss(Tensors.From(new[] { 1f, 2f, 3f }), Tensors.From(new[] { 1f, 0f, 6f }));
        Assert.Equal((0 + 4 + 9) / 3.0, loss.ToDouble(), 6);
        Assert.Same(scope, loss.Owner);
    }

    // ----- attention -----

    private static (Tensor Q, Tensor K, Tensor V) Qkv(Generator g, long tq, long tk, Device device, DType dtype = DType.Float32) =>
        (Tensors.Randn([2, 3, tq, 8], g, dtype, device), Tensors.Randn([2, 3, tk, 8], g, dtype, device), Tensors.Randn([2, 3, tk, 8], g, dtype, device));

    /// <summary>softmax(q k^T / sqrt(D), masking j &gt; i with -inf) @ v, spelled out in tensor ops.</summary>
    private static Tensor ExplicitCausalAttention(Tensor q, Tensor k, Tensor v)
    {
        var t = q.Size(-2);
        var scores = q.Matmul(k.Transpose(-2, -1)) / Math.Sqrt(q.Size(-1));
        var future = Tensors.Ones([t, t], DType.Bool, q.Device).Triu(1);
        return Functional.Softmax(scores.MaskedFill(future, double.NegativeInfinity), -1).Matmul(v);
    }

    /// <summary>Attention for one head in plain C#: query i sees keys j &lt;= i + (tk - tq) when causal.</summary>
    private static double[] LoopAttention(double[] q, double[] k, double[] v, int tq, int tk, int d, bool causal)
    {
        var output = new double[tq * d];
        for (var i = 0; i < tq; i++)
        {
            var scores = new double[tk];
            for (var j = 0; j < tk; j++)
            {
                if (causal && j > i + (tk - tq)) { scores[j] = double.NegativeInfinity; continue; }
                for (var c = 0; c < d; c++) scores[j] += q[i * d + c] * k[j * d + c];
                scores[j] /= Math.Sqrt(d);
            }
            var max = scores.Max();
            var p = scores.Select(s => Math.Exp(s - max)).ToArray();
            var z = p.Sum();
            for (var j = 0; j < tk; j++)
                for (var c = 0; c < d; c++) output[i * d + c] += p[j] / z * v[j * d + c];
        }
        return output;
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Causal_attention_matches_the_explicit_masked_softmax_computation(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        using var g = new Generator(31);
        var (q, k, v) = Qkv(g, 5, 5, device);
        var fused = Functional.ScaledDotProductAttention(q, k, v);
        Assert.Equal([2L, 3L, 5L, 8L], fused.Shape);
        Equal(ExplicitCausalAttention(q, k, v), fused, 1e-5);
        Equal(ExplicitCausalAttention(q.Cpu(), k.Cpu(), v.Cpu()), fused.Cpu(), 1e-5);
    }

    [Theory]
    [InlineData(5, 5)]
    [InlineData(2, 5)]
    [InlineData(1, 5)]
    public void Causal_and_full_attention_match_a_CSharp_loop_for_every_head(int tq, int tk)
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(32);
        var (q, k, v) = Qkv(g, tq, tk, Device.Cpu, DType.Float64);
        foreach (var causal in new[] { true, false })
        {
            var output = Functional.ScaledDotProductAttention(q, k, v, causal);
            for (long b = 0; b < 2; b++)
                for (long h = 0; h < 3; h++)
                {
                    double[] Head(Tensor t) => t.Select(0, b).Select(0, h).ToArray<double>();
                    Equal(LoopAttention(Head(q), Head(k), Head(v), tq, tk, 8, causal), Head(output), 1e-12);
                }
        }
    }

    [Theory]
    [InlineData(DType.Float32, 7, 7, 1e-5)]
    [InlineData(DType.Float32, 3, 7, 1e-5)]
    [InlineData(DType.BFloat16, 7, 7, 0.03)]
    public void Inference_attention_on_strided_heads_equals_the_differentiable_path(DType dtype, long tq, long tk, double tol)
    {
        // q, k, v as the models pass them: strided views of a fused [B, T, 3, H, D] projection
        using var scope = TensorScope.Enter();
        using var g = new Generator(36);
        var qkv = Tensors.Randn([2, tk, 3, 4, 8], g).To(DType.Float32).Permute(2, 0, 3, 1, 4);   // [3, B, H, Tk, D]
        foreach (var causal in new[] { true, false })
        {
            Tensor Attend(Tensor heads) => Functional.ScaledDotProductAttention(heads.Select(0, 0).Narrow(2, tk - tq, tq), heads.Select(0, 1), heads.Select(0, 2), causal, scale: 0.3);
            Tensor fast;
            using (TorchRuntime.NoGrad()) fast = Attend(qkv.To(dtype));
            var leaf = qkv.To(dtype).Detach().RequiresGrad_();   // autograd: the composite path
            var reference = Attend(leaf);
            Assert.Equal(reference.Shape, fast.Shape);
            Equal(reference.Detach(), fast, tol);
        }
    }

    [Fact]
    public void Causal_attention_outputs_do_not_depend_on_future_keys_and_values()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(33);
        var (q, k, v) = Qkv(g, 6, 6, Device.Cpu);
        var before = Functional.ScaledDotProductAttention(q, k, v);
        var k2 = k.Clone();
        var v2 = v.Clone();
        k2.Narrow(2, 3, 3).Add_(Tensors.Randn([2, 3, 3, 8], g));  // change positions 3..5
        v2.Narrow(2, 3, 3).Mul_(-7);
        var after = Functional.ScaledDotProductAttention(q, k2, v2);
        Assert.True(before.Narrow(2, 0, 3).Equal(after.Narrow(2, 0, 3)));      // positions 0..2: bit-identical
        Assert.False(before.Narrow(2, 3, 3).AllClose(after.Narrow(2, 3, 3)));  // later ones see the change
        Assert.False(before.Narrow(2, 0, 3).AllClose(Functional.ScaledDotProductAttention(q, k2, v2, causal: false).Narrow(2, 0, 3)));
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void One_causal_query_against_a_key_value_cache_sees_every_key(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        using var g = new Generator(34);
        var (q, k, v) = Qkv(g, 5, 5, device);
        var last = q.Narrow(2, 4, 1);
        var causal = Functional.ScaledDotProductAttention(last, k, v, causal: true);
        var full = Functional.ScaledDotProductAttention(last, k, v, causal: false);
        Assert.Equal([2L, 3L, 1L, 8L], causal.Shape);
        Equal(full, causal, 1e-5);
        Equal(Functional.ScaledDotProductAttention(q, k, v).Narrow(2, 4, 1), causal, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Devices.All), MemberType = typeof(Devices))]
    public void Two_causal_queries_against_a_cache_equal_the_last_two_rows_of_full_causal_attention(string deviceName)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        using var g = new Generator(35);
        var (q, k, v) = Qkv(g, 5, 5, device);
        var lastTwo = Functional.ScaledDotProductAttention(q.Narrow(2, 3, 2), k, v, causal: true);
        var full = Functional.ScaledDotProductAttention(q, k, v, causal: true);
        Assert.Equal([2L, 3L, 2L, 8L], lastTwo.Shape);
        Equal(full.Narrow(2, 3, 2), lastTwo, 1e-5);
        // and it is really masked: the first of the two must not see the last key
        Assert.False(lastTwo.AllClose(Functional.ScaledDotProductAttention(q.Narrow(2, 3, 2), k, v, causal: false), 1e-4, 1e-5));
    }

    [Fact]
    public void Attention_honours_an_explicit_scale_and_a_bool_mask()
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(36);
        var (q, k, v) = Qkv(g, 4, 4, Device.Cpu, DType.Float64);
        var scaled = Functional.ScaledDotProductAttention(q, k, v, causal: false, scale: 0.5);
        var manual = Functional.Softmax(q.Matmul(k.Transpose(-2, -1)) * 0.5).Matmul(v);
        Equal(manual, scaled, 1e-12);

        var allowed = Tensors.From(new[] { true, false, true, false, true, true, false, false, false, false, true, true, true, true, true, true }, 4, 4);
        var masked = Functional.ScaledDotProductAttention(q, k, v, causal: false, mask: allowed);
        var scores = (q.Matmul(k.Transpose(-2, -1)) / Math.Sqrt(8)).MaskedFill(allowed.LogicalNot(), double.NegativeInfinity);
        Equal(Functional.Softmax(scores).Matmul(v), masked, 1e-12);

        var additive = Tensors.From(new[] { 0.0, -1, 2, 0, 0, 0, 0, 0, 1, 1, 1, 1, -3, 0, 0, 3 }, 4, 4);
        var withAdditive = Functional.ScaledDotProductAttention(q, k, v, causal: false, mask: additive);
        Equal(Functional.Softmax(q.Matmul(k.Transpose(-2, -1)) / Math.Sqrt(8) + additive).Matmul(v), withAdditive, 1e-12);
    }

    [Fact]
    public void Causal_attention_with_more_queries_than_keys_throws_TorchException()
    {
        using var scope = TensorScope.Enter();
        var e = Assert.Throws<TorchException>(() =>
            Functional.ScaledDotProductAttention(Tensors.Ones([3, 4]), Tensors.Ones([2, 4]), Tensors.Ones([2, 4])));
        Assert.Equal("scaled_dot_product_attention", e.Operation);
        Assert.Contains("3 queries and 2 keys", e.NativeMessage);
    }
}
