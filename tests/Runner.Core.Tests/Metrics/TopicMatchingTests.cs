using Runner.Core.Data.Planted;
using Runner.Core.Metrics;
using Runner.Core.Tests.Sae;
using Runner.Torch;

namespace Runner.Core.Tests.Metrics;

/// <summary>
/// A constructed evaluation set of 1000 tokens: rows 0–99 have no topic (−1, like <c>&lt;doc&gt;</c>), rows
/// 100–999 are nine blocks of 100 with topics 0, 1, 2, 3, 0, 1, 2, 3, 0 (300, 200, 200, 200 tokens). Features:
/// <code>
/// f0  every topic-2 token                                   topic 2: P 1,    R 1
/// f1  every other topic-3 token (100) + 25 topic-0 + 25 −1  topic 3: P 2/3,  R 0.5
/// f2  90 topic-1 tokens + 10 −1 tokens                      topic 1: P 0.9,  R 0.45
/// f3  50 topic-1 tokens                                     topic 1: P 1,    R 0.25
/// f4  one topic-0 token                                     topic 0: P 1, density 0.001
/// f5  never
/// </code>
/// Raw x [1000, 4]: small noise, plus x[:, 1] += 3 on topic-1 tokens and x[:, 2] −= 5 on topic-2 tokens.
/// </summary>
public sealed class TopicMatchingTests
{
    private const int N = 1000, F = 6, T = 4, DIn = 4;

    private static int TopicOf(int row) => row < 100 ? -1 : (row / 100 - 1) % 4;

    private static readonly int[] Labels = [.. Enumerable.Range(0, N).Select(TopicOf)];

    private static int[] RowsOf(int topic) => [.. Enumerable.Range(0, N).Where(r => Labels[r] == topic)];

    private static float[,] Features()
    {
        var f = new float[N, F];
        foreach (var r in RowsOf(2)) f[r, 0] = 1.5f;
        var topic3 = RowsOf(3);
        for (var i = 0; i < topic3.Length; i += 2) f[topic3[i], 1] = 0.5f;
        foreach (var r in RowsOf(0).Take(25).Concat(RowsOf(-1).Take(25))) f[r, 1] = 2f;
        foreach (var r in RowsOf(1).Take(90).Concat(RowsOf(-1).Skip(50).Take(10))) f[r, 2] = 1f;
        foreach (var r in RowsOf(1).Skip(100).Take(50)) f[r, 3] = 0.1f;
        f[RowsOf(0)[7], 4] = 3f;
        for (var r = 0; r < N; r++)
            for (var i = 0; i < F; i++)
                if (f[r, i] == 0) f[r, i] = -(r + i) % 3;                 // inactive: 0 or negative (pre-ReLU-like)
        return f;
    }

    private static float[,] Raw()
    {
        var random = new Random(5);
        var x = new float[N, DIn];
        for (var r = 0; r < N; r++)
            for (var d = 0; d < DIn; d++)
                x[r, d] = (float)(random.NextDouble() - 0.5) * 0.2f;
        foreach (var r in RowsOf(1)) x[r, 1] += 3;
        foreach (var r in RowsOf(2)) x[r, 2] -= 5;
        return x;
    }

    private static TopicMatchingResult Match(double minDensity = 0.001, double threshold = 0.9, params int[] batches)
    {
        using var scope = TensorScope.Enter();
        var f = Tensors.From(Features());
        var topics = Tensors.From(Labels);                                  // int32: converted
        var x = Tensors.From(Raw());
        using var matching = new TopicMatching(F, T, DIn, Device.Cpu, minDensity);
        var start = 0;
        foreach (var size in batches.Length == 0 ? [N] : batches)
        {
            matching.Add(f.Narrow(0, start, size), topics.Narrow(0, start, size), x.Narrow(0, start, size));
            start += size;
        }
        Assert.Equal(N, matching.Tokens);
        return matching.Compute(threshold);
    }

    [Fact]
    public void A_feature_that_fires_exactly_on_a_topic_has_precision_and_recall_one()
    {
        var topic = Match().Topics[2];
        Assert.Equal(200, topic.Tokens);
        Assert.Equal(new FeatureMatch { Feature = 0, Fires = 200, Hits = 200, Precision = 1, Recall = 1 }, topic.Best);
        Assert.Equal(0, topic.Auto!.Feature);
        Assert.Equal(0, topic.BestF1!.Feature);
        Assert.Equal(new[] { 0 }, topic.MatchingFeatures);
    }

    [Fact]
    public void A_partial_noisy_feature_has_the_counted_precision_and_recall()
    {
        var topic = Match().Topics[3];
        Assert.Equal(new FeatureMatch { Feature = 1, Fires = 150, Hits = 100, Precision = 100 / 150.0, Recall = 0.5 }, topic.Best);
        Assert.Equal(4 / 7.0, topic.Best!.F1, 12);                          // 2 · (2/3) · (1/2) / (7/6)
        Assert.Null(topic.Auto);
        Assert.Empty(topic.Matching);
    }

    [Fact]
    public void Tokens_of_no_topic_count_against_precision_but_not_in_recall()
    {
        var topic = Match().Topics[1];
        Assert.Equal(200, topic.Tokens);                                    // the 100 −1 tokens are in no topic's denominator
        var f2 = topic.Matching.Single(m => m.Feature == 2);
        Assert.Equal(100, f2.Fires);                                        // its 10 −1 tokens are false positives
        Assert.Equal(0.9, f2.Precision);
        Assert.Equal(0.45, f2.Recall);
    }

    [Fact]
    public void Best_is_the_most_precise_feature_and_auto_the_most_covering_one_above_the_threshold()
    {
        var topic = Match().Topics[1];
        Assert.Equal(3, topic.Best!.Feature);                               // P 1, R 0.25
        Assert.Equal(2, topic.Auto!.Feature);                               // P 0.9 (inclusive), R 0.45
        Assert.Equal(2, topic.BestF1!.Feature);                             // F1 0.6 vs 0.4
        Assert.Equal(new[] { 2, 3 }, topic.Matching.Select(m => m.Feature));       // by recall
        Assert.Equal(new[] { 2, 3 }, topic.MatchingFeatures);
    }

    [Fact]
    public void A_higher_threshold_drops_features_below_it()
    {
        var result = Match(threshold: 0.95);
        Assert.Equal(3, result.Topics[1].Auto!.Feature);
        Assert.Equal(new[] { 3 }, result.Topics[1].MatchingFeatures);
        Assert.Equal(0.95, result.Threshold);
        Assert.Equal(3, result.TopicsRecovered);                            // topics 0 (f4), 1 (f3), 2 (f0)
    }

    [Fact]
    public void Features_rarer_than_the_minimum_density_are_not_candidates()
    {
        var dense = Match(minDensity: 0.001).Topics[0];                     // f4 fires on 1 of 1000 tokens: exactly at the minimum
        Assert.Equal(4, dense.Best!.Feature);
        Assert.Equal(4, dense.Auto!.Feature);
        Assert.Equal(300, dense.Tokens);

        var sparse = Match(minDensity: 0.002).Topics[0];
        Assert.Equal(1, sparse.Best!.Feature);                              // only f1 fires on topic 0: 25 of 150
        Assert.Equal(25 / 150.0, sparse.Best.Precision, 12);
        Assert.Null(sparse.Auto);
    }

    [Fact]
    public void Topics_recovered_counts_topics_with_a_matching_feature()
    {
        var result = Match();
        Assert.Equal(3, result.TopicsRecovered);                            // 0 (f4), 1, 2; not 3
        Assert.Equal(2, result.TopicsRecoveredByBestF1);                    // best F1: 0 → f1 (P 1/6), 1 → f2, 2 → f0, 3 → f1
        Assert.Equal(N, result.Tokens);
    }

    [Fact]
    public void Raw_baseline_finds_the_coordinate_and_sign_that_separate_a_topic()
    {
        var result = Match();
        // topic 2: f0 fires on 200 tokens; the 200 smallest x[:, 2] are exactly topic 2's
        Assert.Equal(new RawDirectionMatch { Direction = 2, Sign = -1, Tokens = 200, Hits = 200, Precision = 1, Recall = 1 }, result.Topics[2].Raw);
        // topic 1: Best f3 fires on 50, best-F1 f2 on 100; the largest x[:, 1] are topic 1's
        Assert.Equal(new RawDirectionMatch { Direction = 1, Sign = 1, Tokens = 50, Hits = 50, Precision = 1, Recall = 0.25 }, result.Topics[1].Raw);
        Assert.Equal(new RawDirectionMatch { Direction = 1, Sign = 1, Tokens = 100, Hits = 100, Precision = 1, Recall = 0.5 }, result.Topics[1].RawAtBestF1);
        // topic 3 has no direction of its own: at 150 tokens a noise coordinate does worse than the feature
        Assert.True(result.Topics[3].Raw!.Precision < result.Topics[3].Best!.Precision);
        Assert.Equal(150, result.Topics[3].Raw!.Tokens);
    }

    [Fact]
    public void Raw_baseline_matches_a_brute_force_top_n_over_every_coordinate_and_sign()
    {
        var result = Match();
        var x = Raw();
        foreach (var topic in result.Topics)
        {
            var n = (int)topic.Best!.Fires;
            var best = 0;
            for (var d = 0; d < DIn; d++)
                foreach (var sign in new[] { 1, -1 })
                {
                    var top = Enumerable.Range(0, N).OrderByDescending(r => sign * x[r, d]).Take(n);
                    best = Math.Max(best, top.Count(r => Labels[r] == topic.Topic));
                }
            Assert.Equal(best, topic.Raw!.Hits);
            Assert.Equal((double)best / n, topic.Raw.Precision);
        }
    }

    [Fact]
    public void Batching_does_not_change_the_result()
    {
        var whole = Match();
        var split = Match(batches: [1, 299, 0, 700]);
        Assert.Equal(whole.Scalars(["a", "b", "c", "d"]), split.Scalars(["a", "b", "c", "d"]));
        for (var t = 0; t < T; t++)
        {
            Assert.Equal(whole.Topics[t].Best, split.Topics[t].Best);
            Assert.Equal(whole.Topics[t].Raw, split.Topics[t].Raw);
            Assert.Equal(whole.Topics[t].Matching, split.Topics[t].Matching);
        }
    }

    [Fact]
    public void Scalars_name_topics_and_average_over_them()
    {
        var scalars = Match().Scalars(["bridge", "ocean", "code", "cooking"]);
        Assert.Equal(3, scalars["topics_recovered"]);
        Assert.Equal(1, scalars["topic.code.precision"]);
        Assert.Equal(1, scalars["topic.code.recall"]);
        Assert.Equal(1, scalars["topic.code.raw_precision"]);
        Assert.Equal(1, scalars["topic.code.raw_recall"]);
        Assert.Equal(1, scalars["topic.code.matching_features"]);
        Assert.Equal(0, scalars["topic.code.auto_feature"]);
        Assert.Equal(2, scalars["topic.ocean.matching_features"]);
        Assert.Equal(0.45, scalars["topic.ocean.auto_recall"]);
        Assert.Equal(0.9, scalars["topic.ocean.auto_precision"]);
        Assert.False(scalars.ContainsKey("topic.cooking.auto_feature"));    // no feature reaches 0.9
        Assert.Equal(0, scalars["topic.cooking.matching_features"]);
        Assert.Equal((1 + 1 + 1 + 100 / 150.0) / 4, scalars["topics.mean_precision"], 12);
        Assert.Equal((1.0 / 300 + 0.25 + 1 + 0.5) / 4, scalars["topics.mean_recall"], 12);
        Assert.Equal((25 / 150.0 + 0.9 + 1 + 100 / 150.0) / 4, scalars["topics.mean_best_f1_precision"], 12);
        Assert.Throws<ArgumentException>(() => Match().Scalars(["bridge"]));
    }

    [Fact]
    public void One_hot_topic_features_on_the_planted_corpus_recover_every_topic()
    {
        var vocabulary = PlantedVocabulary.Create();
        var (ids, labels) = new PlantedCorpus(vocabulary, new PlantedCorpusOptions { Seed = 3 }).Generate(40_000);  // > one 32k-row chunk
        int topics = vocabulary.Topics.Count, features = topics + 4;
        var f = new float[ids.Length, features];
        var random = new Random(1);
        for (var r = 0; r < ids.Length; r++)
        {
            if (labels[r] >= 0) f[r, labels[r]] = 1;
            for (var i = topics; i < features; i++) f[r, i] = random.Next(2);        // noise features: half of all tokens
        }
        using var scope = TensorScope.Enter();
        using var generator = new Generator(2);
        var x = Tensors.Randn([ids.Length, 8], generator);
        using var matching = new TopicMatching(features, topics, 8, Device.Cpu);
        matching.Add(Tensors.From(f), Tensors.From(labels), x);
        var result = matching.Compute();

        Assert.Equal(topics, result.TopicsRecovered);
        Assert.Equal(ids.Length - ids.Count(id => id == vocabulary.DocId), result.Topics.Sum(t => t.Tokens));
        foreach (var topic in result.Topics)
        {
            Assert.Equal(labels.Count(l => l == topic.Topic), topic.Tokens);
            Assert.Equal(new FeatureMatch { Feature = topic.Topic, Fires = topic.Tokens, Hits = topic.Tokens, Precision = 1, Recall = 1 }, topic.Best);
            Assert.Equal(topic.Topic, topic.Auto!.Feature);
            Assert.Equal(new[] { topic.Topic }, topic.MatchingFeatures);
            Assert.True(topic.Raw!.Precision < 0.5, $"random directions separate topic {topic.Topic}: {topic.Raw.Precision}");
        }
        var scalars = result.Scalars(vocabulary.Topics);
        Assert.Equal(1, scalars["topic.bridge.precision"]);
        Assert.Equal(1, scalars["topics.mean_recall"]);
    }

    [Fact]
    public void Mismatched_shapes_and_unknown_topic_ids_are_rejected()
    {
        using var scope = TensorScope.Enter();
        using var matching = new TopicMatching(F, T, DIn, Device.Cpu);
        var f = Tensors.Zeros([3, F]);
        var x = Tensors.Zeros([3, DIn]);
        var e = Assert.Throws<ArgumentException>(() => matching.Add(Tensors.Zeros([3, F + 1]), Tensors.Zeros([3], DType.Int64), x));
        Assert.Contains("expected [N, 6]", e.Message);
        Assert.Throws<ArgumentException>(() => matching.Add(f, Tensors.Zeros([2], DType.Int64), x));
        Assert.Throws<ArgumentException>(() => matching.Add(f, Tensors.Zeros([3], DType.Int64), Tensors.Zeros([3, DIn - 1])));
        e = Assert.Throws<ArgumentException>(() => matching.Add(f, Tensors.From(new long[] { 0, 4, -1 }), x));
        Assert.Contains("[-1, 3]", e.Message);
        Assert.Throws<ArgumentException>(() => matching.Add(f, Tensors.From(new long[] { 0, -2, 1 }), x));
        Assert.Equal(0, matching.Tokens);
        Assert.Throws<InvalidOperationException>(() => matching.Compute());
    }

    [Fact]
    public void Accumulating_and_computing_leave_no_tensor_alive()
    {
        Match(batches: [500, 500]);                                         // warm-up
        var before = SaeTestKit.SettledLiveCount();
        Match(batches: [500, 500]);
        Assert.Equal(before, SaeTestKit.SettledLiveCount());
    }
}
