using Runner.Core.Metrics;
using Runner.Torch;

namespace Runner.Core.Tests.Metrics;

public sealed class CosineTests
{
    [Fact]
    public void PairsAbove_counts_each_unordered_pair_once_whatever_the_chunking()
    {
        using var scope = TensorScope.Enter();
        using var generator = new Generator(7);
        // 40 rows in 3 dims: many pairs above 0.9; a zero row and an exact copy of row 0 as edge cases.
        var rows = Tensors.Cat([Tensors.Randn([38, 3], generator), Tensors.Zeros([1, 3]), Tensors.Zeros([1, 3])]);
        rows.Narrow(0, 39, 1).Copy_(rows.Narrow(0, 0, 1) * 2);
        var matrix = Cosine.Matrix(rows, rows);
        foreach (var threshold in new[] { 0.0, 0.5, 0.9, 0.99 })
        {
            long expected = 0;
            for (var i = 0; i < 40; i++)
                for (var j = i + 1; j < 40; j++)
                    if (matrix[i, j] > threshold) expected++;
            Assert.True(expected > 0);
            foreach (var chunk in new long?[] { null, 1, 7, 40 })
                Assert.Equal(expected, Cosine.PairsAbove(rows, threshold, chunk));
        }
    }

    [Fact]
    public void PairsAbove_rejects_a_threshold_outside_0_to_1()
    {
        using var scope = TensorScope.Enter();
        var rows = Tensors.Zeros([2, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => Cosine.PairsAbove(rows, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Cosine.PairsAbove(rows, 1));
    }
}
