using Runner.Core.Data;
using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Core.Tests.TestKit;

/// <summary>Tiny activation sources for tests.</summary>
internal static class Sources
{
    /// <summary>Seeded Gaussian rows [rows, dIn] with a mean offset, so the data is not centred (CPU, owned by the caller).</summary>
    public static Tensor RandomRows(long rows, int dIn, ulong seed = 1, double offset = 0.5)
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(seed);
        return scope.Keep(Tensors.Randn([rows, dIn], g) + offset).DetachFromScope();
    }

    /// <summary>A source that records the batches it handed out (to check they were disposed) and the rows it was opened at.</summary>
    public sealed class Recording(IActivationSource inner) : IActivationSource
    {
        public List<ActivationBatch> Given { get; } = [];
        public List<long> OpenedAt { get; } = [];

        public IEnumerable<ActivationBatch> Read(long startRow, int batchSize)
        {
            OpenedAt.Add(startRow);
            foreach (var batch in inner.Read(startRow, batchSize))
            {
                Given.Add(batch);
                yield return batch;
            }
        }
    }

    /// <summary>A source of exactly <paramref name="batches"/> batches from <paramref name="rows"/>, then the end.</summary>
    public static IActivationSource Finite(Tensor rows, int batches) =>
        ActivationSources.From((start, size) => ActivationSources.Cycle(rows).Read(start, size).Take(batches - (int)(start / size)));
}
