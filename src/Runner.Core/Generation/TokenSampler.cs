using Runner.Torch;

namespace Runner.Core.Generation;

/// <summary>
/// Chooses next tokens from logits, reproducibly. Per row: greedy takes the argmax (lowest id on ties);
/// otherwise the logits are divided by the temperature, cut to the top k, then to the top-p nucleus
/// (the smallest set of most likely tokens whose probability, renormalized after top-k, reaches p; at
/// least one token), renormalized, and one token is drawn with <see cref="SplitMix64"/>. The generator
/// advances by one draw per sampled row, so rows are independent draws and a whole run is fixed by the
/// seed (HF transformers' warper order: temperature, top-k, top-p).
/// </summary>
public sealed class TokenSampler
{
    private readonly SamplingOptions _options;
    private readonly SplitMix64 _random;

    /// <summary>A sampler with the given settings; throws <see cref="RunnerException"/> for impossible ones.</summary>
    public TokenSampler(SamplingOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.Temperature > 0) || !double.IsFinite(options.Temperature))
            throw new RunnerException($"generate.temperature: must be a positive number, got {options.Temperature}", 2);
        if (options.TopK is < 1)
            throw new RunnerException($"generate.top_k: must be at least 1, got {options.TopK}", 2);
        if (options.TopP is { } p && !(p > 0 && p <= 1))
            throw new RunnerException($"generate.top_p: must be in (0, 1], got {p}", 2);
        _options = options;
        _random = new SplitMix64(seed);
    }

    /// <summary>
    /// logits: [rows, vocab] on any device (copied to the CPU once) -> for each row the chosen id and its
    /// log-probability under the model's own distribution (log_softmax of the raw logits: temperature 1,
    /// no filtering).
    /// </summary>
    public (int[] Ids, float[] LogProbs) Next(Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Dim != 2 || logits.Size(1) == 0)
            throw new ArgumentException($"logits must have shape [rows, vocab], got [{string.Join(", ", logits.Shape)}]", nameof(logits));
        var (rows, vocab) = ((int)logits.Size(0), (int)logits.Size(1));
        float[] values;
        using (var scope = TensorScope.Enter())
            values = logits.Detach().To(Device.Cpu, DType.Float32).Contiguous().ToArray<float>();

        var ids = new int[rows];
        var logProbs = new float[rows];
        var work = new double[vocab];
        var order = new int[vocab];
        for (var r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * vocab, vocab);
            var (max, logSumExp) = LogSumExp(row, r);
            ids[r] = _options.Greedy ? ArgMax(row, max) : Draw(row, max, work, order);
            logProbs[r] = (float)(row[ids[r]] - logSumExp);
        }
        return (ids, logProbs);
    }

    /// <summary>max and log Σ exp over a row; NaN, +∞ or an all −∞ row is an error (the model produced no distribution).</summary>
    private static (double Max, double LogSumExp) LogSumExp(ReadOnlySpan<float> row, int r)
    {
        double max = double.NegativeInfinity;
        foreach (var v in row)
        {
            if (float.IsNaN(v) || float.IsPositiveInfinity(v))
                throw new RunnerException($"logits row {r} holds {v}: the model produced no probability distribution");
            if (v > max) max = v;
        }
        if (double.IsNegativeInfinity(max)) throw new RunnerException($"logits row {r} is −∞ everywhere: no token is possible");
        double sum = 0;
        foreach (var v in row) sum += Math.Exp(v - max);
        return (max, max + Math.Log(sum));
    }

    private static int ArgMax(ReadOnlySpan<float> row, double max)
    {
        for (var i = 0; i < row.Length; i++)
            if (row[i] == max) return i;
        throw new InvalidOperationException("unreachable: the maximum is in the row");
    }

    /// <summary>One draw from the filtered, renormalized distribution of a row.</summary>
    private int Draw(ReadOnlySpan<float> row, double max, double[] weights, int[] order)
    {
        var vocab = row.Length;
        var t = _options.Temperature;
        // Unnormalized softmax(logits / T), shifted by the row's max before dividing so a tiny T cannot overflow.
        for (var i = 0; i < vocab; i++) weights[i] = Math.Exp((row[i] - max) / t);

        var u = _random.NextDouble();                  // one draw per row, whatever the filters
        var k = Math.Min(_options.TopK ?? vocab, vocab);
        var p = _options.TopP ?? 1.0;
        if (k == vocab && p >= 1.0) return Pick(weights, null, vocab, u);

        // Most likely first; ties by lower id, so the kept set does not depend on the sort's stability.
        for (var i = 0; i < vocab; i++) order[i] = i;
        Array.Sort(order, (a, b) => weights[a] != weights[b] ? weights[b].CompareTo(weights[a]) : a.CompareTo(b));
        var kept = k;
        if (p < 1.0)
        {
            double total = 0;
            for (var i = 0; i < k; i++) total += weights[order[i]];
            double cumulative = 0;
            for (kept = 0; kept < k;)
            {
                cumulative += weights[order[kept++]];
                if (cumulative >= p * total) break;       // the nucleus reached p (at least one token)
            }
        }
        return Pick(weights, order, kept, u);
    }

    /// <summary>Inverse-CDF draw over the first <paramref name="count"/> tokens of <paramref name="order"/> (ids 0.. when null).</summary>
    private static int Pick(double[] weights, int[]? order, int count, double u)
    {
        double total = 0;
        for (var i = 0; i < count; i++) total += weights[order?[i] ?? i];
        var target = u * total;
        double cumulative = 0;
        var last = -1;
        for (var i = 0; i < count; i++)
        {
            var id = order?[i] ?? i;
            if (weights[id] <= 0) continue;
            cumulative += weights[id];
            last = id;
            if (target < cumulative) return id;
        }
        return last;                                   // rounding: u·total reached the (inexact) sum
    }
}
