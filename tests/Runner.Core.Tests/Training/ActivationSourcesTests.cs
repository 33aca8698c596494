using Runner.Core.Data;
using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Core.Tests.Training;

public sealed class ActivationSourcesTests
{
    private static Tensor Rows(int n) => Tensors.Arange(0, n, 1, DType.Float32).Unsqueeze(1);   // row r holds r

    private static float[][] Firsts(IEnumerable<ActivationBatch> batches, int count) =>
        batches.Take(count).Select(b =>
        {
            using (b) return b.Activations.Squeeze(1).ToArray<float>();
        }).ToArray();

    [Fact]
    public void Cycle_wraps_around_the_end_inside_a_batch()
    {
        using var scope = TensorScope.Enter();
        var source = ActivationSources.Cycle(Rows(5));
        Assert.Equal([[0f, 1, 2], [3, 4, 0], [1, 2, 3]], Firsts(source.Read(0, 3), 3));
        Assert.Equal([[3f, 4, 0], [1, 2, 3]], Firsts(source.Read(3, 3), 2));
        Assert.Equal([[2f, 3, 4, 0, 1, 2, 3]], Firsts(source.Read(7, 7), 1));
    }

    [Fact]
    public void Replaying_skips_and_disposes_the_rows_before_the_start()
    {
        using var scope = TensorScope.Enter();
        var made = new List<ActivationBatch>();
        IEnumerable<ActivationBatch> Open()
        {
            for (var i = 0; i < 4; i++)
            {
                var b = new ActivationBatch(Tensors.Full([2, 1], i));
                made.Add(b);
                yield return b;
            }
        }
        var source = ActivationSources.Replaying(Open);
        Assert.Equal([[2f, 2], [3, 3]], Firsts(source.Read(4, 2), 5));
        Assert.True(made[0].Activations.IsDisposed && made[1].Activations.IsDisposed);
        Assert.Throws<ArgumentException>(() => Firsts(source.Read(3, 2), 1));
    }

    [Fact]
    public void Negative_start_rows_and_empty_batches_are_rejected()
    {
        using var scope = TensorScope.Enter();
        var source = ActivationSources.Cycle(Rows(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Read(-1, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Read(0, 0));
    }
}
