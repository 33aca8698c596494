using System.Buffers;
using Runner.Core.Data.Planted;

namespace Runner.Core.Steering;

/// <summary>
/// What steering toward (or away from) one topic did to generations of a planted-corpus model, summed
/// over samples and divided at the end (the proof of concept's gen_stats in planted-topics-poc/run.py):
/// <list type="bullet">
/// <item><see cref="TopicWordFraction"/> = generated tokens that are words of the topic / all generated tokens,
/// <see cref="OtherTopicWordFraction"/> likewise for words of any other topic. As in the proof of concept the
/// denominator is every generated token (function words, punctuation, names, numbers and <c>&lt;doc&gt;</c>
/// included; real documents of a topic hold about 20% of its words), and each word of a phrase counts
/// ("golden gate bridge" is three bridge words). Ids outside the vocabulary count as no topic's word.</item>
/// <item><see cref="Fluency"/> = grammatical / complete sentences by <see cref="PlantedGrammar"/>, parsing
/// prompt + generation from the prompt's start and judging the sentences that end inside the generation:
/// a sentence the prompt began and the model finished is judged, one the prompt completed is not, one cut
/// off by the end of the generation is not.</item>
/// </list>
/// The prompt must start at a sentence start (e.g. with <c>&lt;doc&gt;</c>).
/// </summary>
public sealed class TopicGenerationStats
{
    private readonly PlantedGrammar _grammar;

    /// <summary>Statistics for <paramref name="topic"/> (a topic id of <paramref name="grammar"/>'s vocabulary).</summary>
    public TopicGenerationStats(PlantedGrammar grammar, int topic)
    {
        ArgumentNullException.ThrowIfNull(grammar);
        ArgumentOutOfRangeException.ThrowIfNegative(topic);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(topic, grammar.Vocabulary.Topics.Count);
        _grammar = grammar;
        Topic = topic;
    }

    /// <summary>Statistics for <paramref name="topic"/>, with a grammar built over <paramref name="vocabulary"/>.</summary>
    public TopicGenerationStats(PlantedVocabulary vocabulary, int topic) : this(new PlantedGrammar(vocabulary), topic)
    {
    }

    /// <summary>The topic id whose words are counted.</summary>
    public int Topic { get; }

    /// <summary>Samples added.</summary>
    public int Samples { get; private set; }

    /// <summary>Generated tokens (prompts excluded).</summary>
    public long Tokens { get; private set; }

    /// <summary>Generated tokens that are words of <see cref="Topic"/>.</summary>
    public long TopicWords { get; private set; }

    /// <summary>Generated tokens that are words of another topic.</summary>
    public long OtherTopicWords { get; private set; }

    /// <summary>Generated <c>&lt;doc&gt;</c> tokens (the model ended the document).</summary>
    public long DocTokens { get; private set; }

    /// <summary>Samples with at least one word of <see cref="Topic"/> in the generation.</summary>
    public int SamplesWithTopicWord { get; private set; }

    /// <summary>Complete sentences judged (those ending inside the generations).</summary>
    public long Sentences { get; private set; }

    /// <summary>Of <see cref="Sentences"/>, those that parse as one of the corpus's templates.</summary>
    public long GrammaticalSentences { get; private set; }

    /// <summary>TopicWords / Tokens (0 before any token).</summary>
    public double TopicWordFraction => Tokens == 0 ? 0 : (double)TopicWords / Tokens;

    /// <summary>OtherTopicWords / Tokens (0 before any token).</summary>
    public double OtherTopicWordFraction => Tokens == 0 ? 0 : (double)OtherTopicWords / Tokens;

    /// <summary>GrammaticalSentences / Sentences; 0 when no sentence was complete (as the proof of concept's max(1, …)).</summary>
    public double Fluency => Sentences == 0 ? 0 : (double)GrammaticalSentences / Sentences;

    /// <summary>Adds one sample: the <paramref name="prompt"/> it continued and the <paramref name="generated"/> ids after it.</summary>
    public void Add(ReadOnlySpan<int> prompt, ReadOnlySpan<int> generated)
    {
        var vocabulary = _grammar.Vocabulary;
        long topicWords = 0, otherWords = 0, docs = 0;
        foreach (var id in generated)
        {
            if (id == vocabulary.DocId) docs++;
            var topic = (uint)id < (uint)vocabulary.Count ? vocabulary.TopicOfWord(id) : -1;
            if (topic == Topic) topicWords++;
            else if (topic >= 0) otherWords++;
        }

        var length = prompt.Length + generated.Length;
        var buffer = ArrayPool<int>.Shared.Rent(length);
        try
        {
            prompt.CopyTo(buffer);
            generated.CopyTo(buffer.AsSpan(prompt.Length));
            var (complete, grammatical) = _grammar.Check(buffer.AsSpan(0, length), judgeFrom: prompt.Length);
            Sentences += complete;
            GrammaticalSentences += grammatical;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(buffer);
        }
        Samples++;
        Tokens += generated.Length;
        TopicWords += topicWords;
        OtherTopicWords += otherWords;
        DocTokens += docs;
        if (topicWords > 0) SamplesWithTopicWord++;
    }

    /// <summary>
    /// The scalar statistics by name: <c>topic_word_fraction</c>, <c>other_topic_word_fraction</c>, <c>fluency</c>,
    /// <c>sentences</c>, <c>samples_with_topic_word</c> (a fraction of the samples), <c>doc_token_fraction</c>.
    /// </summary>
    public IReadOnlyDictionary<string, double> Scalars() => new Dictionary<string, double>
    {
        ["topic_word_fraction"] = TopicWordFraction,
        ["other_topic_word_fraction"] = OtherTopicWordFraction,
        ["fluency"] = Fluency,
        ["sentences"] = Sentences,
        ["samples_with_topic_word"] = Samples == 0 ? 0 : (double)SamplesWithTopicWord / Samples,
        ["doc_token_fraction"] = Tokens == 0 ? 0 : (double)DocTokens / Tokens,
    };
}
