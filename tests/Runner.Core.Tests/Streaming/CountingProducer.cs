using Runner.Core.Streaming;
using Runner.Torch;

namespace Runner.Core.Tests.Streaming;

/// <summary>
/// A producer whose row r is [r, r·0.5, …] (width columns, seeded noise on top when asked), in chunks of
/// <c>chunk</c> rows; counts the rows it computed. Ends after <c>rows</c> rows when given.
/// </summary>
internal sealed class CountingProducer(int width, int chunk = 7, long? rows = null, bool noise = false) : IRowProducer
{
    private long _computed;

    public int Width => width;

    public double ComputeSeconds => 0;

    public long Computed => Interlocked.Read(ref _computed);

    public IEnumerable<Tensor> Rows(long startRow, CancellationToken cancellationToken)
    {
        for (var r = startRow; rows is not { } end || r < end; r += chunk)
        {
            var n = (int)Math.Min(chunk, (rows ?? long.MaxValue) - r);
            var values = new float[n * width];
            for (var i = 0; i < n; i++)
                for (var c = 0; c < width; c++)
                    values[i * width + c] = (r + i) * (c == 0 ? 1f : 1f / (c + 1)) + (noise ? Noise(r + i, c) : 0);
            Interlocked.Add(ref _computed, n);
            Tensor t;
            using (var scope = TensorScope.Enter()) t = scope.Keep(Tensors.From(values, n, width)).DetachFromScope();
            yield return t;
        }
    }

    // Deterministic noise in [-4, 4): rows of an SAE test need spread, not a ramp.
    private static float Noise(long row, int column)
    {
        var z = (ulong)(row * 7919 + column * 104729 + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z ^= z >> 27;
        return (float)((z >> 11) * (1.0 / (1UL << 53)) * 8 - 4);
    }
}
