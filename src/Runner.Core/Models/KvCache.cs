using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>
/// The keys and values of earlier tokens, per layer ([B, kv_heads, Length, head_dim] after RoPE), so a
/// forward over new tokens attends to them without recomputing them. Made by
/// <see cref="TransformerModel.CreateCache"/>; grows by the tokens of each <see cref="TransformerModel.Forward"/>
/// it is passed to (all layers at once, only when the forward completes). Owns its tensors.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    internal KvCache(TransformerModel model, int batch)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "a cache needs a batch of at least 1");
        Model = model;
        Batch = batch;
        _keys = new Tensor?[model.Config.Layers];
        _values = new Tensor?[model.Config.Layers];
    }

    /// <summary>Tokens held (the position the next token gets).</summary>
    public long Length { get; private set; }

    /// <summary>Sequences held; every forward through the cache must have this batch size.</summary>
    public int Batch { get; }

    internal TransformerModel Model { get; }

    internal Tensor? Keys(int layer) => _keys[layer];

    internal Tensor? Values(int layer) => _values[layer];

    /// <summary>Replaces every layer's keys and values (taking ownership) after a forward of <paramref name="added"/> tokens.</summary>
    internal void Commit(Tensor[] keys, Tensor[] values, long added)
    {
        for (var l = 0; l < _keys.Length; l++)
        {
            Replace(ref _keys[l], keys[l]);
            Replace(ref _values[l], values[l]);
        }
        Length += added;
    }

    private static void Replace(ref Tensor? slot, Tensor next)
    {
        next.DetachFromScope();
        if (!ReferenceEquals(slot, next)) slot?.Dispose();
        slot = next;
    }

    /// <summary>Forgets every token (Length 0).</summary>
    public void Clear()
    {
        for (var l = 0; l < _keys.Length; l++)
        {
            _keys[l]?.Dispose();
            _values[l]?.Dispose();
            _keys[l] = _values[l] = null;
        }
        Length = 0;
    }

    /// <summary>Frees the tensors.</summary>
    public void Dispose() => Clear();
}
