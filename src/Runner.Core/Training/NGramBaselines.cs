namespace Runner.Core.Training;

/// <summary>
/// Reference losses a language model should beat: unigram and bigram models counted on a training stream
/// with add-<c>smoothing</c> counts, scored on a held-out stream (mean next-token cross entropy in nats,
/// as the planted-topics proof of concept reports them).
/// </summary>
public static class NGramBaselines
{
    /// <summary>
    /// Unigram loss: −mean log p(eval[t]) over t ≥ 1; bigram loss: −mean log p(eval[t] | eval[t−1]), with
    /// p from the counts of <paramref name="train"/> plus <paramref name="smoothing"/> for every (pair of) id(s) below <paramref name="vocab"/>.
    /// </summary>
    public static (double Unigram, double Bigram) Losses(ReadOnlySpan<int> train, ReadOnlySpan<int> eval, int vocab, double smoothing = 0.1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocab, 1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(smoothing);
        if (eval.Length < 2) throw new ArgumentException("the eval stream needs at least 2 tokens", nameof(eval));
        var unigram = new double[vocab];
        var bigram = new double[(long)vocab * vocab];
        for (var i = 0; i < train.Length; i++)
        {
            unigram[train[i]]++;
            if (i > 0) bigram[(long)train[i - 1] * vocab + train[i]]++;
        }
        var rowTotals = new double[vocab];
        for (long i = 0; i < bigram.Length; i++) rowTotals[i / vocab] += bigram[i] + smoothing;
        var unigramTotal = train.Length + smoothing * vocab;

        double uni = 0, bi = 0;
        for (var t = 1; t < eval.Length; t++)
        {
            uni -= Math.Log((unigram[eval[t]] + smoothing) / unigramTotal);
            bi -= Math.Log((bigram[(long)eval[t - 1] * vocab + eval[t]] + smoothing) / rowTotals[eval[t - 1]]);
        }
        return (uni / (eval.Length - 1), bi / (eval.Length - 1));
    }
}
