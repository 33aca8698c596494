using System.Numerics;
using Runner.Torch;

namespace Runner.Core.Models;

/// <summary>
/// cos and sin of RoPE for positions 0..n, [n, rotary dims] in the model's dtype, computed in float32
/// as transformers does (cat(freqs, freqs), times the attention factor) and grown on demand (doubling).
/// The sin table is stored as (-sin, sin) over the two halves, so rotate_half needs no negation.
/// Dynamic NTK beyond max_position_embeddings gets fresh tables per forward.
/// </summary>
internal sealed class RopeTable : IDisposable
{
    private readonly ModelConfig _config;
    private readonly Device _device;
    private readonly DType _dtype;
    private readonly Lock _lock = new();
    private Tensor? _cos;
    private Tensor? _sin;

    public RopeTable(ModelConfig config, Device device, DType dtype)
    {
        _config = config;
        _device = device;
        _dtype = dtype;
    }

    /// <summary>Views (owned by the caller's scope) of the rows for positions [start, start + length).</summary>
    public (Tensor Cos, Tensor Sin) Get(long start, long length)
    {
        var end = start + length;
        if (_config.RopeScaling?.Type == RopeScalingType.Dynamic && end > _config.MaxPositions)
        {
            var (c, s) = Build(end, end);
            return (c.Narrow(0, start, length), s.Narrow(0, start, length));
        }
        lock (_lock)
        {
            if (_cos is null || _cos.Size(0) < end)
            {
                var rows = Math.Max(256, (long)BitOperations.RoundUpToPowerOf2((ulong)end));
                if (_config.RopeScaling?.Type == RopeScalingType.Dynamic) rows = Math.Min(rows, Math.Max(end, _config.MaxPositions));
                using var scope = TensorScope.Enter();
                var (c, s) = Build(rows, 0);
                _cos?.Dispose();
                _sin?.Dispose();
                _cos = scope.Keep(c).DetachFromScope();
                _sin = scope.Keep(s).DetachFromScope();
            }
            return (_cos.Narrow(0, start, length), _sin!.Narrow(0, start, length));
        }
    }

    private (Tensor Cos, Tensor Sin) Build(long rows, long sequenceLength)
    {
        var (inverse, attention) = Rope.Frequencies(_config, sequenceLength);
        var inv = Tensors.From(inverse.Select(f => (float)f).ToArray()).To(_device).Unsqueeze(0);       // [1, R/2]
        var positions = Tensors.Arange(0, rows, 1, DType.Float32, _device).Unsqueeze(1);                 // [rows, 1]
        var freqs = positions * inv;                                                                      // [rows, R/2]
        var cos = Tensors.Cat([freqs.Cos(), freqs.Cos()], -1) * attention;
        var sin = freqs.Sin() * attention;
        var signedSin = Tensors.Cat([sin.Neg(), sin], -1);
        return (cos.To(_dtype), signedSin.To(_dtype));
    }

    public void Dispose()
    {
        _cos?.Dispose();
        _sin?.Dispose();
        _cos = _sin = null;
    }
}
