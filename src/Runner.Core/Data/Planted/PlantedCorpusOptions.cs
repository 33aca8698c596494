namespace Runner.Core.Data.Planted;

/// <summary>
/// Settings of the planted-topics corpus. The defaults are the proof of concept's recommended clean
/// corpus (RESULTS.md): documents of 4–10 sentences, content slots on topic with p = 0.7, another
/// topic's word with p = 0.02 (noise), a generic word otherwise, 10% of documents switching topic once.
/// </summary>
public sealed record PlantedCorpusOptions
{
    /// <summary>Seed of the whole stream (any value); the same seed gives the same corpus everywhere.</summary>
    public ulong Seed { get; init; }

    /// <summary>Probability that a content slot (noun, verb, adjective) takes a word of the segment's topic.</summary>
    public double TopicProbability { get; init; } = 0.7;

    /// <summary>Probability that a content slot takes a word of a uniformly drawn topic (which may be the segment's own).</summary>
    public double NoiseProbability { get; init; } = 0.02;

    /// <summary>Probability that a document (of at least two sentences) switches topic once, at a sentence boundary.</summary>
    public double SwitchProbability { get; init; } = 0.1;

    /// <summary>Fewest sentences in a document.</summary>
    public int MinSentences { get; init; } = 4;

    /// <summary>Most sentences in a document (included).</summary>
    public int MaxSentences { get; init; } = 10;

    /// <summary>Largest <see cref="MaxSentences"/> accepted (keeps a document's buffer small).</summary>
    public const int SentenceLimit = 100_000;

    /// <summary>Throws <see cref="RunnerException"/> (exit code 2) naming the first setting out of range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok) throw new RunnerException($"planted corpus option {what}", 2);
        }
        Check(TopicProbability is >= 0 and <= 1, $"TopicProbability must be in [0, 1], got {TopicProbability}");
        Check(NoiseProbability is >= 0 and <= 1, $"NoiseProbability must be in [0, 1], got {NoiseProbability}");
        Check(TopicProbability + NoiseProbability <= 1 + 1e-12,
            $"TopicProbability + NoiseProbability must be <= 1, got {TopicProbability} + {NoiseProbability}");
        Check(SwitchProbability is >= 0 and <= 1, $"SwitchProbability must be in [0, 1], got {SwitchProbability}");
        Check(MinSentences >= 1, $"MinSentences must be >= 1, got {MinSentences}");
        Check(MaxSentences >= MinSentences, $"MaxSentences must be >= MinSentences ({MinSentences}), got {MaxSentences}");
        Check(MaxSentences <= SentenceLimit, $"MaxSentences must be <= {SentenceLimit}, got {MaxSentences}");
    }
}
