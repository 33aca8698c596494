using Runner.Core.Data.Planted;
using Runner.Core.Steering;

namespace Runner.Core.Tests.Steering;

public sealed class TopicGenerationStatsTests
{
    private static readonly PlantedVocabulary Vocabulary = PlantedVocabulary.Create();
    private static readonly PlantedGrammar Grammar = new(Vocabulary);
    private static readonly int Bridge = Topic("bridge"), Ocean = Topic("ocean");

    private static int Topic(string name) => Vocabulary.Topics.ToList().IndexOf(name);

    private static int[] Ids(string text) => Vocabulary.Encode(text);

    private static TopicGenerationStats Stats(int topic, params (string Prompt, string Generated)[] samples)
    {
        var stats = new TopicGenerationStats(Grammar, topic);
        foreach (var (prompt, generated) in samples) stats.Add(Ids(prompt), Ids(generated));
        return stats;
    }

    [Fact]
    public void Word_fractions_count_every_generated_token_in_the_denominator()
    {
        // golden bridge spanned: bridge words; ocean: another topic's; the and . count in the denominator only
        var stats = Stats(Bridge, ("<doc> the", "golden bridge spanned the ocean ."));
        Assert.Equal(6, stats.Tokens);
        Assert.Equal(3, stats.TopicWords);
        Assert.Equal(1, stats.OtherTopicWords);
        Assert.Equal(0.5, stats.TopicWordFraction);
        Assert.Equal(1 / 6.0, stats.OtherTopicWordFraction);
        Assert.Equal(1, stats.SamplesWithTopicWord);

        var ocean = Stats(Ocean, ("<doc> the", "golden bridge spanned the ocean ."));
        Assert.Equal(1 / 6.0, ocean.TopicWordFraction);
        Assert.Equal(0.5, ocean.OtherTopicWordFraction);
    }

    [Fact]
    public void Every_word_of_a_phrase_counts()
    {
        var stats = Stats(Bridge, ("<doc>", "maria crossed the golden gate bridge in san francisco"));
        Assert.Equal(9, stats.Tokens);
        Assert.Equal(6, stats.TopicWords);                                   // crossed golden gate bridge san francisco
    }

    [Fact]
    public void Samples_are_summed_before_dividing()
    {
        var stats = Stats(Bridge,
            ("<doc>", "bridge"),                                             // 1 of 1
            ("<doc>", "the thing was very big . the"));                      // 0 of 7
        Assert.Equal(2, stats.Samples);
        Assert.Equal(1 / 8.0, stats.TopicWordFraction);                      // not (1 + 0) / 2
        Assert.Equal(1, stats.SamplesWithTopicWord);
    }

    [Fact]
    public void Doc_tokens_and_unknown_ids_are_no_topics_words()
    {
        var stats = new TopicGenerationStats(Vocabulary, Bridge);
        stats.Add(Ids("<doc>"), [Vocabulary.DocId, Ids("bridge")[0], 5000, -3]);
        Assert.Equal(4, stats.Tokens);
        Assert.Equal(1, stats.TopicWords);
        Assert.Equal(0, stats.OtherTopicWords);
        Assert.Equal(1, stats.DocTokens);
        Assert.Equal(0.25, stats.Scalars()["doc_token_fraction"]);
    }

    [Fact]
    public void Fluency_judges_sentences_that_end_in_the_generation()
    {
        var stats = Stats(Bridge,
            ("<doc> the", "golden bridge spanned the ocean . the bridge ."),   // the prompt's sentence: good; "the bridge ." bad
            ("<doc> maria said \"", "the ship sailed the big sea . \" we"));  // a quote the prompt opened: good; "we": cut off
        Assert.Equal(3, stats.Sentences);
        Assert.Equal(2, stats.GrammaticalSentences);
        Assert.Equal(2 / 3.0, stats.Fluency);
    }

    [Fact]
    public void A_sentence_the_prompt_completed_is_not_judged()
    {
        var stats = Stats(Bridge, ("<doc> the big thing saw the man .", "thing thing thing . the"));
        Assert.Equal(1, stats.Sentences);                                    // only "thing thing thing ."
        Assert.Equal(0, stats.GrammaticalSentences);
        Assert.Equal(0, stats.Fluency);
    }

    [Fact]
    public void Fluency_is_zero_when_no_sentence_is_complete()
    {
        var stats = Stats(Bridge, ("<doc>", "the golden bridge"));
        Assert.Equal(0, stats.Sentences);
        Assert.Equal(0, stats.Fluency);
        Assert.Equal(0, new TopicGenerationStats(Grammar, Bridge).TopicWordFraction);
    }

    [Fact]
    public void Corpus_documents_as_generations_are_fluent_and_about_their_topic()
    {
        var corpus = new PlantedCorpus(Vocabulary, new PlantedCorpusOptions { Seed = 9 });
        var documents = corpus.Documents().Take(400).Where(d => d.Topics.Skip(1).All(t => t == Bridge)).ToList();
        Assert.NotEmpty(documents);
        var stats = new TopicGenerationStats(Grammar, Bridge);
        foreach (var document in documents) stats.Add(document.Ids.AsSpan(0, 3), document.Ids.AsSpan(3));
        Assert.Equal(1, stats.Fluency);
        Assert.True(stats.Sentences >= 4 * documents.Count);
        Assert.InRange(stats.TopicWordFraction, 0.15, 0.3);                 // the proof of concept's bridge documents: about 0.2
        Assert.InRange(stats.OtherTopicWordFraction, 0, 0.02);
        Assert.Equal(documents.Count, stats.SamplesWithTopicWord);
    }

    [Fact]
    public void Topic_ids_outside_the_vocabulary_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopicGenerationStats(Grammar, Vocabulary.Topics.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopicGenerationStats(Grammar, -1));
    }
}
