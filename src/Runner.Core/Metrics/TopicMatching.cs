using Runner.Torch;

namespace Runner.Core.Metrics;

/// <summary>
/// Accumulates feature-to-topic matching over evaluation batches whose tokens carry ground-truth topics
/// (the planted corpus), then computes <see cref="TopicMatchingResult"/>. Follows the proof of concept
/// (planted-topics-poc/run.py, "feature -> concept"): a feature is active where f &gt; 0; for every
/// (feature, topic) precision = #(active ∧ topic) / #active and recall = #(active ∧ topic) / #topic,
/// counted over every token. Tokens of no topic (label −1: <c>&lt;doc&gt;</c>) stay in the precision and
/// density denominators as negatives for every topic, as in the proof of concept; they only have no
/// recall denominator of their own.
/// <para>
/// Counts are one matmul per chunk on the device: active [n, F]ᵀ · [one-hot topic | 1] [n, T + 1].
/// The raw-direction baseline needs every token's x again once the features' firing counts are known,
/// so x [N, d_in] (float32) and the labels are kept on the device (131k × 64 tokens: 34 MB).
/// </para>
/// </summary>
public sealed class TopicMatching : IDisposable
{
    // Rows per matmul: 0/1 products summed in float32 (also TF32) stay exact below 2^24.
    private const int ChunkRows = 1 << 15;

    private readonly Device _device;
    private readonly Tensor _counts;       // [F, T + 1] float64: column t < T: active on a topic-t token; column T: active at all
    private readonly Tensor _topicTokens;  // [T] int64
    private readonly Tensor _topicIds;     // [T] int64: 0 … T − 1, for the one-hot
    private readonly List<Tensor> _x = [];       // [n, d_in] float32 per batch
    private readonly List<Tensor> _labels = [];  // [n] int64 per batch

    /// <summary>
    /// A matcher of <paramref name="features"/> features against <paramref name="topics"/> topics, with raw
    /// activations of width <paramref name="dIn"/>; counts live on <paramref name="device"/>. A feature must fire on
    /// at least <paramref name="minDensity"/> of the tokens to be a candidate (the proof of concept's 0.1%).
    /// </summary>
    public TopicMatching(int features, int topics, int dIn, Device device, double minDensity = 0.001)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(topics, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dIn, 1);
        if (!(minDensity >= 0 && minDensity <= 1)) throw new ArgumentOutOfRangeException(nameof(minDensity), minDensity, "must be in [0, 1]");
        Features = features;
        Topics = topics;
        DIn = dIn;
        MinDensity = minDensity;
        _device = device;
        _counts = Tensors.Zeros([features, topics + 1], DType.Float64, device).DetachFromScope();
        _topicTokens = Tensors.Zeros([topics], DType.Int64, device).DetachFromScope();
        _topicIds = Tensors.Arange(topics, device).DetachFromScope();
    }

    /// <summary>Number of features (F).</summary>
    public int Features { get; }

    /// <summary>Number of topics (T); topic ids are 0 … T − 1.</summary>
    public int Topics { get; }

    /// <summary>Width of the raw activations (d_in).</summary>
    public int DIn { get; }

    /// <summary>The fraction of tokens a feature must fire on to be a candidate.</summary>
    public double MinDensity { get; }

    /// <summary>Tokens accumulated so far.</summary>
    public long Tokens { get; private set; }

    /// <summary>
    /// Adds a batch: <paramref name="f"/> [N, F] feature activations (active = f &gt; 0), <paramref name="topics"/>
    /// [N] integer topic id of each token's segment (−1 = none), <paramref name="x"/> [N, d_in] the raw
    /// activations the features were computed from. Any device and dtype; nothing is disposed or kept by reference.
    /// </summary>
    public void Add(Tensor f, Tensor topics, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(x);
        if (f.Dim != 2 || f.Size(1) != Features)
            throw new ArgumentException($"features have shape [{string.Join(", ", f.Shape)}], expected [N, {Features}]", nameof(f));
        var n = f.Size(0);
        if (topics.Dim != 1 || topics.Size(0) != n)
            throw new ArgumentException($"topics have shape [{string.Join(", ", topics.Shape)}], expected [{n}]", nameof(topics));
        if (x.Dim != 2 || x.Size(0) != n || x.Size(1) != DIn)
            throw new ArgumentException($"raw activations have shape [{string.Join(", ", x.Shape)}], expected [{n}, {DIn}]", nameof(x));
        if (n == 0) return;

        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        var labels = topics.To(_device, DType.Int64, copy: true);                      // kept: a copy, never the caller's storage
        if (labels.Lt(-1).LogicalOr(labels.Ge(Topics)).Any().ToBoolean())
            throw new ArgumentException($"topic ids must be in [-1, {Topics - 1}]", nameof(topics));

        var oneHot = labels.Unsqueeze(1).Eq(_topicIds.Unsqueeze(0));                  // [N, T] bool; −1 matches no topic
        _topicTokens.Add_(oneHot.Sum(0));
        var targets = Tensors.Cat([oneHot.To(DType.Float32), Tensors.Ones([n, 1], DType.Float32, _device)], 1);  // [N, T + 1]
        for (long start = 0; start < n; start += ChunkRows)
        {
            var rows = Math.Min(ChunkRows, n - start);
            var active = f.Narrow(0, start, rows).To(_device).Gt(0).To(DType.Float32); // [n, F]
            _counts.Add_(active.T.Mm(targets.Narrow(0, start, rows)).To(DType.Float64));
        }
        _x.Add(x.To(_device, DType.Float32, copy: true).DetachFromScope());
        _labels.Add(labels.DetachFromScope());
        Tokens += n;
    }

    /// <summary>
    /// The matching over everything added, with a feature matching a topic when its precision is at least
    /// <paramref name="precisionThreshold"/>. May be called again (e.g. with another threshold).
    /// </summary>
    public TopicMatchingResult Compute(double precisionThreshold = 0.9)
    {
        if (!(precisionThreshold > 0 && precisionThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(precisionThreshold), precisionThreshold, "must be in (0, 1]");
        if (Tokens == 0) throw new InvalidOperationException("no evaluation tokens were added");
        double[] counts;
        long[] topicTokens;
        using (TensorScope.Enter())
        {
            counts = _counts.Cpu().ToArray<double>();
            topicTokens = _topicTokens.Cpu().ToArray<long>();
        }
        var stride = Topics + 1;
        var minFires = MinDensity * Tokens;
        var candidates = Enumerable.Range(0, Features)
            .Where(i => counts[i * stride + Topics] > 0 && counts[i * stride + Topics] >= minFires).ToArray();

        var best = new FeatureMatch?[Topics];
        var bestF1 = new FeatureMatch?[Topics];
        var auto = new FeatureMatch?[Topics];
        var matching = new FeatureMatch[Topics][];
        for (var t = 0; t < Topics; t++)
        {
            var tokens = topicTokens[t];
            var matches = candidates
                .Where(i => counts[i * stride + t] > 0)                                 // never chosen if it never fires on the topic
                .Select(i =>
                {
                    long fires = (long)counts[i * stride + Topics], hits = (long)counts[i * stride + t];
                    return new FeatureMatch { Feature = i, Fires = fires, Hits = hits, Precision = (double)hits / fires, Recall = (double)hits / tokens };
                }).ToArray();
            best[t] = matches.OrderByDescending(m => m.Precision).ThenByDescending(m => m.Recall).ThenBy(m => m.Feature).FirstOrDefault();
            bestF1[t] = matches.OrderByDescending(m => m.F1).ThenBy(m => m.Feature).FirstOrDefault();
            matching[t] = [.. matches.Where(m => m.Precision >= precisionThreshold)
                .OrderByDescending(m => m.Recall).ThenByDescending(m => m.Precision).ThenBy(m => m.Feature)];
            auto[t] = matching[t].FirstOrDefault();
        }

        // Both baselines at once: (topic, tokens) requests, answered by one top-k of x per sign.
        var requests = new List<(int Topic, long Tokens)>();
        for (var t = 0; t < Topics; t++)
        {
            if (best[t] is { } b) requests.Add((t, b.Fires));
            if (bestF1[t] is { } b1) requests.Add((t, b1.Fires));
        }
        var raw = RawBaseline(requests, topicTokens);
        var next = 0;
        var result = new TopicMatch[Topics];
        for (var t = 0; t < Topics; t++)
        {
            result[t] = new TopicMatch
            {
                Topic = t,
                Tokens = topicTokens[t],
                Best = best[t],
                BestF1 = bestF1[t],
                Auto = auto[t],
                Matching = matching[t],
                Raw = best[t] is null ? null : raw[next++],
                RawAtBestF1 = bestF1[t] is null ? null : raw[next++],
            };
        }
        // The proof of concept's control pool: live features whose precision for every topic is below 0.5.
        var nonTopic = candidates.Where(i => Enumerable.Range(0, Topics).All(t => counts[i * stride + t] < 0.5 * counts[i * stride + Topics])).ToArray();
        return new TopicMatchingResult { Topics = result, Threshold = precisionThreshold, MinDensity = MinDensity, Tokens = Tokens, NonTopicFeatures = nonTopic };
    }

    // For each (topic t, n): over every direction d and sign s, the n tokens with the largest s·x[:, d]
    // (the proof of concept's torch.topk(sgn * eacts, n, dim=0)); the direction and sign whose tokens
    // are most often topic-t tokens (ties: lower direction, then + before −). Equal x values at the
    // n-th place are broken as torch.topk breaks them. One top-k per sign, of the largest n asked for.
    private RawDirectionMatch[] RawBaseline(List<(int Topic, long Tokens)> requests, long[] topicTokens)
    {
        if (requests.Count == 0) return [];
        long[] hits;
        using (TensorScope.Enter())
        using (TorchRuntime.NoGrad())
        {
            var x = _x.Count == 1 ? _x[0] : Tensors.Cat(_x, 0);                      // [N, d_in]
            var labels = _labels.Count == 1 ? _labels[0] : Tensors.Cat(_labels, 0);  // [N]
            var most = requests.Max(r => r.Tokens);
            // the `most` largest and smallest tokens per direction, in order: topic of each ranked token [most, d_in]
            var largest = labels.IndexSelect(0, x.TopK(most, 0, largest: true).Indices.Flatten()).View(most, DIn);
            var smallest = labels.IndexSelect(0, x.TopK(most, 0, largest: false).Indices.Flatten()).View(most, DIn);
            var parts = new List<Tensor>(2 * requests.Count);
            foreach (var (topic, n) in requests)
            {
                parts.Add(largest.Narrow(0, 0, n).Eq(topic).Sum(0));                    // + : the n largest
                parts.Add(smallest.Narrow(0, 0, n).Eq(topic).Sum(0));                   // − : the n smallest
            }
            hits = Tensors.Stack(parts).Cpu().ToArray<long>();                         // [2R, d_in]
        }
        var result = new RawDirectionMatch[requests.Count];
        for (var r = 0; r < requests.Count; r++)
        {
            var (topic, n) = requests[r];
            int bestDirection = 0, bestSign = 1;
            var bestHits = -1L;
            for (var d = 0; d < DIn; d++)
                for (var s = 0; s < 2; s++)
                {
                    var h = hits[(2 * r + s) * DIn + d];
                    if (h > bestHits) (bestHits, bestDirection, bestSign) = (h, d, s == 0 ? 1 : -1);
                }
            result[r] = new RawDirectionMatch
            {
                Direction = bestDirection,
                Sign = bestSign,
                Tokens = n,
                Hits = bestHits,
                Precision = (double)bestHits / n,
                Recall = topicTokens[topic] == 0 ? 0 : (double)bestHits / topicTokens[topic],
            };
        }
        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _counts.Dispose();
        _topicTokens.Dispose();
        _topicIds.Dispose();
        foreach (var t in _x) t.Dispose();
        foreach (var t in _labels) t.Dispose();
        _x.Clear();
        _labels.Clear();
    }
}
