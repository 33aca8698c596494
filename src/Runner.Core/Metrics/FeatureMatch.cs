namespace Runner.Core.Metrics;

/// <summary>
/// How well "feature i is active (f_i &gt; 0)" predicts "the token is in a topic-t segment" on the
/// evaluation set: precision = <see cref="Hits"/> / <see cref="Fires"/>, recall = <see cref="Hits"/> /
/// the topic's tokens.
/// </summary>
public sealed record FeatureMatch
{
    /// <summary>The feature (latent) index.</summary>
    public required int Feature { get; init; }

    /// <summary>Tokens where the feature fires (every evaluated token counts, also those of no topic).</summary>
    public required long Fires { get; init; }

    /// <summary>Tokens where the feature fires and the token is in a segment of the topic.</summary>
    public required long Hits { get; init; }

    /// <summary>Hits / Fires.</summary>
    public required double Precision { get; init; }

    /// <summary>Hits / tokens of the topic.</summary>
    public required double Recall { get; init; }

    /// <summary>2PR / (P + R) (0 when both are 0).</summary>
    public double F1 => Precision + Recall > 0 ? 2 * Precision * Recall / (Precision + Recall) : 0;
}
