using Runner.Core.Metrics;
using Runner.Core.Synthetic;
using Runner.Torch;

namespace Runner.Core.Tests.Synthetic;

public sealed class FeatureRecoveryTests
{
    private static readonly double S = Math.Sqrt(0.5);

    [Fact]
    public void Mmcs_averages_over_true_features_the_best_cosine_with_any_decoder_row()
    {
        using var scope = TensorScope.Enter();
        // true e1, e2, e3; decoder rows: 2·e1 (norm does not matter), (e1 + e2)/√2, −e3
        var truth = Tensors.From(new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }).To(DType.Float32);
        var decoder = Tensors.From(new double[,] { { 2, 0, 0 }, { S, S, 0 }, { 0, 0, -1 } }).To(DType.Float32);
        // best per true feature: e1 → 1, e2 → 1/√2, e3 → 0 (−1 and 0 are its only cosines; the max is 0)
        Assert.Equal((1 + S + 0) / 3, FeatureRecovery.Mmcs(truth, decoder), 1e-6);
    }

    [Fact]
    public void Mmcs_is_over_true_features_not_over_decoder_rows()
    {
        using var scope = TensorScope.Enter();
        var truth = Tensors.From(new double[,] { { 1, 0 } }).To(DType.Float32);
        var decoder = Tensors.From(new double[,] { { 1, 0 }, { 0, 1 } }).To(DType.Float32);   // an extra unrelated row
        Assert.Equal(1, FeatureRecovery.Mmcs(truth, decoder), 1e-6);
        Assert.Equal(0.5, FeatureRecovery.Mmcs(decoder, truth), 1e-6);                       // the reverse direction differs
    }

    [Fact]
    public void Mcc_matches_one_to_one_on_absolute_cosine()
    {
        using var scope = TensorScope.Enter();
        // both true features are closest to decoder row 0; one-to-one, the best total |cos| pairs e1–row 1 (0.8) and e2–row 0 (0.8)
        var truth = Tensors.From(new double[,] { { 1, 0 }, { 0, 1 } }).To(DType.Float32);
        var decoder = Tensors.From(new double[,] { { 0.6, -0.8 }, { -0.8, 0.6 } }).To(DType.Float32);
        var (mcc, matching) = FeatureRecovery.Mcc(truth, decoder);
        Assert.Equal([1, 0], matching);
        Assert.Equal(0.8, mcc, 1e-6);
    }

    [Fact]
    public void Mcc_with_more_decoder_rows_than_true_features_averages_over_true_features()
    {
        using var scope = TensorScope.Enter();
        var truth = Tensors.From(new double[,] { { 1, 0, 0 }, { 0, 1, 0 } }).To(DType.Float32);
        var decoder = Tensors.From(new double[,] { { 0, 0, 1 }, { 0, 0.6, 0.8 }, { 1, 0, 0 } }).To(DType.Float32);
        var (mcc, matching) = FeatureRecovery.Mcc(truth, decoder);
        Assert.Equal([2, 1], matching);
        Assert.Equal((1 + 0.6) / 2, mcc, 1e-6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Max_per_row_in_chunks_equals_the_maximum_of_the_full_matrix(bool excludeSameIndex)
    {
        using var scope = TensorScope.Enter();
        using var g = new Generator(5);
        var a = Tensors.Randn([30, 8], g);
        var b = excludeSameIndex ? a : Tensors.Randn([50, 8], g);
        var full = Cosine.Matrix(a, b);
        var m = full.GetLength(1);
        var best = Cosine.MaxPerRow(a, b, excludeSameIndex, chunkRows: 7);   // chunks of 7, 7, 7, 7, 2 rows
        for (var i = 0; i < 30; i++)
            Assert.Equal(Enumerable.Range(0, m).Where(j => !excludeSameIndex || j != i).Max(j => full[i, j]), best[i], 1e-6);
    }
}
