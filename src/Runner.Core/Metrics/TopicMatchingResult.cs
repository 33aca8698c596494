namespace Runner.Core.Metrics;

/// <summary>
/// Feature-to-topic matching over an evaluation set with ground-truth topics (see <see cref="TopicMatching"/>):
/// per topic the best, best-F1 and <c>auto</c> features, all features with precision ≥ <see cref="Threshold"/>,
/// and the raw-direction baseline that shows what the SAE adds.
/// </summary>
public sealed record TopicMatchingResult
{
    /// <summary>Per topic, indexed by topic id.</summary>
    public required IReadOnlyList<TopicMatch> Topics { get; init; }

    /// <summary>The precision a feature needs to match a topic (the 0.9, inclusive).</summary>
    public required double Threshold { get; init; }

    /// <summary>The fraction of evaluated tokens a feature must fire on to be a candidate (the proof of concept's 0.001).</summary>
    public required double MinDensity { get; init; }

    /// <summary>Evaluated tokens, including those of no topic (<c>&lt;doc&gt;</c>).</summary>
    public required long Tokens { get; init; }

    /// <summary>Live features (density ≥ the minimum) whose precision is below 0.5 for every topic: the pool of random controls.</summary>
    public IReadOnlyList<int> NonTopicFeatures { get; init; } = [];

    /// <summary><c>topics_recovered</c>: topics with at least one feature of precision ≥ <see cref="Threshold"/>.</summary>
    public int TopicsRecovered => Topics.Count(t => t.Auto is not null);

    /// <summary><c>topics_recovered_best_f1</c>: topics whose best-F1 feature has precision ≥ <see cref="Threshold"/> (the proof of concept's stricter count).</summary>
    public int TopicsRecoveredByBestF1 => Topics.Count(t => t.BestF1 is { } b && b.Precision >= Threshold);

    /// <summary>
    /// The scalar metrics by name, with topics named by <paramref name="topicNames"/> (indexed by topic id):
    /// <c>topics_recovered</c>, <c>topics_recovered_best_f1</c>; per topic <c>topic.NAME.precision</c> and
    /// <c>.recall</c> (<see cref="TopicMatch.Best"/>), <c>.raw_precision</c> and <c>.raw_recall</c>
    /// (<see cref="TopicMatch.Raw"/>, at the same number of tokens), <c>.matching_features</c>, and
    /// <c>.auto_feature</c>, <c>.auto_precision</c>, <c>.auto_recall</c> only when the topic has an auto feature;
    /// means over topics <c>topics.mean_precision</c>, <c>.mean_recall</c>, <c>.mean_raw_precision</c>,
    /// <c>.mean_raw_recall</c>, and the proof of concept's comparison <c>topics.mean_best_f1_precision</c>
    /// vs <c>topics.mean_best_f1_raw_precision</c>. A topic without a candidate counts as 0.
    /// </summary>
    public IReadOnlyDictionary<string, double> Scalars(IReadOnlyList<string> topicNames)
    {
        ArgumentNullException.ThrowIfNull(topicNames);
        if (topicNames.Count != Topics.Count)
            throw new ArgumentException($"{topicNames.Count} topic names for {Topics.Count} topics", nameof(topicNames));
        var scalars = new Dictionary<string, double>
        {
            ["topics_recovered"] = TopicsRecovered,
            ["topics_recovered_best_f1"] = TopicsRecoveredByBestF1,
        };
        foreach (var t in Topics)
        {
            var prefix = $"topic.{topicNames[t.Topic]}.";
            scalars[prefix + "precision"] = t.Best?.Precision ?? 0;
            scalars[prefix + "recall"] = t.Best?.Recall ?? 0;
            scalars[prefix + "raw_precision"] = t.Raw?.Precision ?? 0;
            scalars[prefix + "raw_recall"] = t.Raw?.Recall ?? 0;
            scalars[prefix + "matching_features"] = t.Matching.Count;
            if (t.Auto is { } auto)
            {
                scalars[prefix + "auto_feature"] = auto.Feature;
                scalars[prefix + "auto_precision"] = auto.Precision;
                scalars[prefix + "auto_recall"] = auto.Recall;
            }
        }
        double Mean(Func<TopicMatch, double> value) => Topics.Count == 0 ? 0 : Topics.Average(value);
        scalars["topics.mean_precision"] = Mean(t => t.Best?.Precision ?? 0);
        scalars["topics.mean_recall"] = Mean(t => t.Best?.Recall ?? 0);
        scalars["topics.mean_raw_precision"] = Mean(t => t.Raw?.Precision ?? 0);
        scalars["topics.mean_raw_recall"] = Mean(t => t.Raw?.Recall ?? 0);
        scalars["topics.mean_best_f1_precision"] = Mean(t => t.BestF1?.Precision ?? 0);
        scalars["topics.mean_best_f1_raw_precision"] = Mean(t => t.RawAtBestF1?.Precision ?? 0);
        return scalars;
    }
}
