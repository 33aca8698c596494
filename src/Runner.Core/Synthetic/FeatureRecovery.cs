using Runner.Torch;

namespace Runner.Core.Synthetic;

/// <summary>How well a learned dictionary recovers known features (Sharkey et al. 2023; SAELens' synthetic module).</summary>
public static class FeatureRecovery
{
    /// <summary>
    /// MMCS, mean max cosine similarity: the mean over TRUE features g of max_l cos(g, l) over the
    /// learned decoder rows l. <paramref name="trueFeatures"/> [n, d], <paramref name="decoder"/> [d_sae, d]
    /// (SAELens' W_dec layout; row norms do not matter). In [−1, 1]; 1 = every true feature has an exact
    /// (same-sign) copy in the dictionary.
    /// </summary>
    public static double Mmcs(Tensor trueFeatures, Tensor decoder) =>
        Metrics.Cosine.MaxPerRow(trueFeatures, decoder).Average();

    /// <summary>
    /// MCC, mean correlation coefficient: the mean |cos| over a one-to-one matching of true features
    /// to decoder rows that maximizes the total |cos| (Hungarian algorithm); min(n, d_sae) pairs.
    /// Returns the score and, per true feature, its decoder row (−1 when unmatched).
    /// </summary>
    public static (double Mcc, int[] Matching) Mcc(Tensor trueFeatures, Tensor decoder)
    {
        var cos = Metrics.Cosine.Matrix(trueFeatures, decoder);
        int n = cos.GetLength(0), m = cos.GetLength(1);
        var abs = new double[n, m];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < m; j++) abs[i, j] = Math.Abs(cos[i, j]);
        var matching = Hungarian.Maximize(abs);
        double sum = 0;
        var pairs = 0;
        for (var i = 0; i < n; i++)
        {
            if (matching[i] < 0) continue;
            sum += abs[i, matching[i]];
            pairs++;
        }
        return (sum / pairs, matching);
    }
}
