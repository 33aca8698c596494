namespace Runner.Core.Metrics;

/// <summary>
/// The features that match one topic ("token is in a topic-t segment"). Only features that fire on at
/// least <see cref="TopicMatchingResult.MinDensity"/> of the evaluated tokens are candidates; a
/// feature that never fires on the topic is never chosen.
/// </summary>
public sealed record TopicMatch
{
    /// <summary>The topic id.</summary>
    public required int Topic { get; init; }

    /// <summary>Evaluated tokens in a segment of this topic (recall's denominator).</summary>
    public required long Tokens { get; init; }

    /// <summary>The highest-precision feature (ties: higher recall, then lower index), or null when no candidate fires on the topic.</summary>
    public required FeatureMatch? Best { get; init; }

    /// <summary>The best-F1 feature (ties: lower index), the proof of concept's "best_feat", or null as <see cref="Best"/>.</summary>
    public required FeatureMatch? BestF1 { get; init; }

    /// <summary>
    /// What <c>auto:TOPIC</c> steers: the highest-recall feature among those with precision ≥ the threshold
    /// (ties: higher precision, then lower index); null when there is none (the topic is not recovered).
    /// </summary>
    public required FeatureMatch? Auto { get; init; }

    /// <summary>Every candidate with precision ≥ the threshold, by recall, highest first (so <see cref="Auto"/> is the first).</summary>
    public required IReadOnlyList<FeatureMatch> Matching { get; init; }

    /// <summary>The indices of <see cref="Matching"/>, ascending: what <c>ablate: auto:TOPIC</c> zeroes.</summary>
    public IReadOnlyList<int> MatchingFeatures => [.. Matching.Select(m => m.Feature).Order()];

    /// <summary>The best raw direction taking as many tokens as <see cref="Best"/> fires on; null when Best is.</summary>
    public required RawDirectionMatch? Raw { get; init; }

    /// <summary>The best raw direction taking as many tokens as <see cref="BestF1"/> fires on (the proof of concept's baseline); null when BestF1 is.</summary>
    public required RawDirectionMatch? RawAtBestF1 { get; init; }
}
