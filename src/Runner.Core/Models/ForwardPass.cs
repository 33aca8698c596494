using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>
/// The state of one forward: where its tokens start, the hooks, the KV cache and the keys/values it
/// will add, the RoPE tables for its positions, and the point a <see cref="TransformerModel.RunTo"/> stops at.
/// Every tensor it makes belongs to the forward's <see cref="TensorScope"/>.
/// </summary>
internal sealed class ForwardPass
{
    private readonly TransformerModel _model;
    private readonly IReadOnlyDictionary<HookPoint, ActivationHook>? _hooks;
    private readonly KvCache? _cache;
    private readonly HookPoint? _stopAt;
    private readonly Tensor[] _newKeys;
    private readonly Tensor[] _newValues;
    private (Tensor Cos, Tensor Sin)? _rope;

    public ForwardPass(TransformerModel model, long batch, long length, IReadOnlyDictionary<HookPoint, ActivationHook>? hooks, KvCache? cache, HookPoint? stopAt)
    {
        _model = model;
        _hooks = hooks is { Count: > 0 } ? hooks : null;
        _cache = cache;
        _stopAt = stopAt;
        Batch = batch;
        Length = length;
        Start = cache?.Length ?? 0;
        _newKeys = cache is null ? [] : new Tensor[model.Config.Layers];
        _newValues = cache is null ? [] : new Tensor[model.Config.Layers];
    }

    public long Batch { get; }
    /// <summary>New tokens in this forward (T).</summary>
    public long Length { get; }
    /// <summary>Absolute position of the first new token.</summary>
    public long Start { get; }

    private ModelConfig Config => _model.Config;

    /// <summary>
    /// The activation at (layer, site): passed to its hook (which may replace it), and, when it is the
    /// point a RunTo wants, thrown back to RunTo so nothing later is computed.
    /// </summary>
    public Tensor Site(int layer, HookSite site, Tensor x)
    {
        var point = new HookPoint(layer, site);
        if (_hooks is not null && _hooks.TryGetValue(point, out var hook) && hook(x, new HookContext(point, Start)) is { } replacement)
        {
            if (!replacement.Shape.AsSpan().SequenceEqual(x.Shape))
                throw new RunnerException($"the hook at {point} returned shape [{string.Join(", ", replacement.Shape)}]; the activation has shape [{string.Join(", ", x.Shape)}]");
            x = replacement.DType == x.DType && replacement.Device == x.Device ? replacement : replacement.To(x.Device, x.DType);
        }
        if (_stopAt == point) throw new ReachedHookPoint(x);
        return x;
    }

    /// <summary>
    /// RoPE (rotate_half, halves not interleaved) over the first rotary dims of each head:
    /// x [B, heads, T, hd] -> [B, heads, T, hd].
    /// </summary>
    public Tensor Rotate(Tensor x)
    {
        var (cos, sin) = _rope ??= _model.RopeTables.Get(Start, Length);   // [T, R]; sin holds (-s, s) for rotate_half
        var r = Config.RotaryDims;
        var hd = x.Size(-1);
        var xr = r == hd ? x : x.Narrow(-1, 0, r);
        var swapped = Tensors.Cat([xr.Narrow(-1, r / 2, r / 2), xr.Narrow(-1, 0, r / 2)], -1);   // (x2, x1)
        var rotated = xr * cos + swapped * sin;                                                   // x·cos + rotate_half(x)·sin
        return r == hd ? rotated : Tensors.Cat([rotated, x.Narrow(-1, r, hd - r)], -1);
    }

    /// <summary>
    /// Causal attention of the new queries over the cached and new keys: q [B, H, T, hd], k and v
    /// [B, KvH, T, hd] -> [B, T, H·hd]. Grouped-query attention broadcasts each kv head over its
    /// H / KvH query heads without copying it. In bf16 the scores are bf16 and the softmax is computed
    /// in float32 by the kernel and rounded to bf16 for the product with v, as torch.autocast does
    /// (upcasting q, k, v to float32 instead cost 2x the attention time for no measurable gain).
    /// </summary>
    public Tensor Attend(int layer, Tensor q, Tensor k, Tensor v, double scale)
    {
        if (_cache is not null)
        {
            k = _cache.Keys(layer) is { } pastK ? Tensors.Cat([pastK, k], 2) : k.Contiguous();
            v = _cache.Values(layer) is { } pastV ? Tensors.Cat([pastV, v], 2) : v.Contiguous();
            _newKeys[layer] = k;
            _newValues[layer] = v;
        }
        long b = Batch, t = Length, h = Config.Heads, kvh = Config.KvHeads, hd = Config.HeadDim, tk = k.Size(2);
        if (kvh != h)
        {
            q = q.View(b, kvh, h / kvh, t, hd);   // [B, KvH, G, T, hd]
            k = k.Unsqueeze(2);                    // [B, KvH, 1, Tk, hd]
            v = v.Unsqueeze(2);
        }
        Tensor? mask = null;
        if (Config.SlidingWindow is { } window && Start + t > window)
        {
            // query i (absolute Start + i) sees key j when j <= Start + i and Start + i - j < window
            var qi = Tensors.Arange(Start, Start + t, 1, DType.Int64, q.Device).Unsqueeze(1);
            var kj = Tensors.Arange(0, tk, 1, DType.Int64, q.Device).Unsqueeze(0);
            mask = kj.Le(qi).LogicalAnd((qi - kj).Lt(window));
        }
        var o = Functional.ScaledDotProductAttention(q, k, v, causal: mask is null, scale: scale, mask: mask);
        return o.View(b, h, t, hd).Transpose(1, 2).Reshape(b, t, h * hd);   // [B, T, H·hd]
    }

    /// <summary>Hands the grown keys and values to the cache (after every layer ran).</summary>
    public void CommitCache() => _cache?.Commit(_newKeys, _newValues, Length);
}
