using System.Diagnostics;
using Runner.Core.Synthetic;
using Runner.Torch;

namespace Runner.Core.Streaming;

/// <summary>Fresh rows of a synthetic generator from row <c>first</c> on (rows before it are the held-out set).</summary>
public sealed class SyntheticRowProducer(SyntheticActivations source, long first) : IRowProducer
{
    private const int Chunk = 8192;
    private long _computeTicks;

    /// <inheritdoc/>
    public int Width => source.Options.DIn;

    /// <inheritdoc/>
    public double ComputeSeconds => TimeSpan.FromTicks(Interlocked.Read(ref _computeTicks)).TotalSeconds;

    /// <inheritdoc/>
    public IEnumerable<Tensor> Rows(long startRow, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startRow);
        for (var row = first + startRow; ; row += Chunk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var watch = Stopwatch.StartNew();
            Tensor x;
            using (var scope = TensorScope.Enter()) x = scope.Keep(source.Sample(row, Chunk).Activations).DetachFromScope();
            Interlocked.Add(ref _computeTicks, watch.Elapsed.Ticks);
            yield return x;
        }
    }
}
