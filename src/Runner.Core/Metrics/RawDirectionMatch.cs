namespace Runner.Core.Metrics;

/// <summary>
/// The baseline a feature is compared with: the best single raw activation direction (coordinate
/// <see cref="Direction"/> of x, times <see cref="Sign"/>). Its <see cref="Tokens"/> highest-scoring
/// evaluation tokens, as many as the feature it is compared with fires on, are taken as "active"
/// (the proof of concept's neuron-basis baseline).
/// </summary>
public sealed record RawDirectionMatch
{
    /// <summary>The coordinate of the raw activation (0 … d_in − 1).</summary>
    public required int Direction { get; init; }

    /// <summary>+1: the tokens with the largest x[Direction]; −1: those with the smallest.</summary>
    public required int Sign { get; init; }

    /// <summary>Tokens taken (the compared feature's <see cref="FeatureMatch.Fires"/>).</summary>
    public required long Tokens { get; init; }

    /// <summary>Of the tokens taken, those in a segment of the topic.</summary>
    public required long Hits { get; init; }

    /// <summary>Hits / Tokens.</summary>
    public required double Precision { get; init; }

    /// <summary>Hits / tokens of the topic.</summary>
    public required double Recall { get; init; }
}
