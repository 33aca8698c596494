namespace Runner.Torch;

/// <summary>Neural-network functions (torch.nn.functional's counterparts).</summary>
public static class Functional
{
    /// <summary>y = x W^T + b. x: [..., in], W: [out, in], b: [out] or null -> [..., out].</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null) =>
        Tensor.Wrap(NativeMethods.rt_linear(x.Handle, weight.Handle, bias?.Handle ?? TensorHandle.Null), "linear");

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor x, long dim = -1) => Tensor.Wrap(NativeMethods.rt_softmax(x.Handle, dim, 0), "softmax");

    /// <summary>log(softmax(x)) along <paramref name="dim"/>, computed stably.</summary>
    public static Tensor LogSoftmax(Tensor x, long dim = -1) => Tensor.Wrap(NativeMethods.rt_softmax(x.Handle, dim, 1), "log_softmax");

    /// <summary>
    /// Cross-entropy of <paramref name="logits"/> [n, classes] (or [n, classes, d...]) against class
    /// indices <paramref name="target"/> [n] (int64); targets equal to <paramref name="ignoreIndex"/> are left out.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean, long ignoreIndex = -100, double labelSmoothing = 0) =>
        Tensor.Wrap(NativeMethods.rt_cross_entropy(logits.Handle, target.Handle, ignoreIndex, (int)reduction, labelSmoothing), "cross_entropy");

    /// <summary>Layer normalization over the last dimensions given by <paramref name="normalizedShape"/>.</summary>
    public static unsafe Tensor LayerNorm(Tensor x, long[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        fixed (long* p = normalizedShape)
            return Tensor.Wrap(NativeMethods.rt_layer_norm(x.Handle, p, normalizedShape.Length, weight?.Handle ?? TensorHandle.Null, bias?.Handle ?? TensorHandle.Null, eps), "layer_norm");
    }

    /// <summary>
    /// GELU with the tanh approximation (as <see cref="Tensor.Gelu"/> with tanhApproximation), computed as
    /// x·sigmoid(2z) with z = sqrt(2/pi)·(x + 0.044715·x³), the same function: on CPU about 2.5x faster than
    /// libtorch 1.13's gelu(tanh), whose tanh dominates, and as accurate. Differentiable; float32 and
    /// float64 stay, other dtypes are computed in float32 and cast back. On CUDA, libtorch's gelu(tanh).
    /// </summary>
    public static Tensor GeluTanh(Tensor x) => Tensor.Wrap(NativeMethods.rt_gelu_tanh_sigmoid(x.Handle), "gelu_tanh");

    /// <summary>
    /// Scaled dot-product attention: softmax(q k^T * scale + mask) v. q: [..., Tq, D], k: [..., Tk, D],
    /// v: [..., Tk, Dv] -> [..., Tq, Dv]. With <paramref name="causal"/>, query i attends to keys
    /// j &lt;= i + (Tk - Tq) (aligned at the end, as a key-value cache needs). <paramref name="scale"/>
    /// defaults to 1/sqrt(D); <paramref name="mask"/> is bool (true = attend) or additive float.
    /// Uses libtorch's fused kernels where the build has them (torch 2.x).
    /// </summary>
    public static Tensor ScaledDotProductAttention(Tensor q, Tensor k, Tensor v, bool causal = true, double? scale = null, Tensor? mask = null) =>
        Tensor.Wrap(NativeMethods.rt_attention(q.Handle, k.Handle, v.Handle, causal ? 1 : 0, scale ?? 0, mask?.Handle ?? TensorHandle.Null), "scaled_dot_product_attention");

    /// <summary>Rows of <paramref name="weight"/> [vocab, d] for each id in <paramref name="ids"/> (int64) -> [..., d].</summary>
    public static Tensor Embedding(Tensor weight, Tensor ids) => Tensor.Wrap(NativeMethods.rt_embedding(weight.Handle, ids.Handle), "embedding");

    /// <summary>
    /// For each row of <paramref name="ids"/> [n, bag]: the sum (or mean / max) of those rows of
    /// <paramref name="weight"/> [v, d], each scaled by <paramref name="perSampleWeights"/> [n, bag]
    /// when given (sum only) -> [n, d]. A sparse decoder: only the selected rows are read.
    /// </summary>
    public static Tensor EmbeddingBag(Tensor weight, Tensor ids, Tensor? perSampleWeights = null, BagMode mode = BagMode.Sum) =>
        Tensor.Wrap(NativeMethods.rt_embedding_bag(weight.Handle, ids.Handle, TensorHandle.Null, (int)mode, perSampleWeights?.Handle ?? TensorHandle.Null), "embedding_bag");

    /// <summary>
    /// Bags of varying size over the 1-d <paramref name="ids"/> (int64): bag i holds
    /// ids[offsets[i] .. offsets[i + 1]) and the last bag runs to the end; an empty bag gives zeros
    /// (sum) -> [offsets.Length, d]. The transpose of a sparse product: with ids sorted by output row,
    /// Σ over each row's entries of <paramref name="perSampleWeights"/> · weight[id], nothing materialized.
    /// </summary>
    public static Tensor EmbeddingBagWithOffsets(Tensor weight, Tensor ids, Tensor offsets, Tensor? perSampleWeights = null, BagMode mode = BagMode.Sum) =>
        Tensor.Wrap(NativeMethods.rt_embedding_bag(weight.Handle, ids.Handle, offsets.Handle, (int)mode, perSampleWeights?.Handle ?? TensorHandle.Null), "embedding_bag");

    /// <summary>Mean squared error.</summary>
    public static Tensor MseLoss(Tensor input, Tensor target)
    {
        using var scope = TensorScope.Enter();
        return scope.Keep((input - target).Square().Mean());
    }
}

/// <summary>How a loss is reduced over its elements (at::Reduction values).</summary>
public enum Reduction
{
    /// <summary>One loss per element.</summary>
    None = 0,
    /// <summary>The mean over non-ignored elements.</summary>
    Mean = 1,
    /// <summary>The sum.</summary>
    Sum = 2,
}

/// <summary>How <see cref="Functional.EmbeddingBag"/> combines a bag.</summary>
public enum BagMode
{
    /// <summary>Sum of the rows.</summary>
    Sum = 0,
    /// <summary>Mean of the rows.</summary>
    Mean = 1,
    /// <summary>Elementwise max of the rows.</summary>
    Max = 2,
}
