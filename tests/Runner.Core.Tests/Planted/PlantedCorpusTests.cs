using Runner.Core.Data.Planted;
using Runner.Core.Tests.IO;

namespace Runner.Core.Tests.Planted;

public sealed class PlantedCorpusTests
{
    private static readonly PlantedVocabulary Vocabulary = PlantedVocabulary.Create();

    private static PlantedCorpus Corpus(ulong seed = 0, PlantedCorpusOptions? options = null) =>
        new(Vocabulary, (options ?? new PlantedCorpusOptions()) with { Seed = seed });

    private static int SentenceEnds(IEnumerable<int> ids)
    {
        int period = Vocabulary.WordId("."), question = Vocabulary.WordId("?");
        return ids.Count(id => id == period || id == question);
    }

    [Fact]
    public void The_same_seed_gives_the_same_stream_and_another_seed_a_different_one()
    {
        var (ids, topics) = Corpus(5).Generate(20_000);
        var (again, againTopics) = Corpus(5).Generate(20_000);
        var (other, _) = Corpus(6).Generate(20_000);
        Assert.Equal(ids, again);
        Assert.Equal(topics, againTopics);
        Assert.NotEqual(ids, other);
        Assert.True(ids.Zip(other).Count(p => p.First != p.Second) > 10_000);
    }

    [Fact]
    public void The_stream_is_pinned_so_a_change_of_generator_or_lexicon_shows()
    {
        // seed 0's first document; if this changes, every cached planted corpus changes with it
        var first = Corpus(0).Documents().First();
        Assert.Equal(
            "<doc> nina said \" the week weeded the small seed . \" we pruned 70 fertile root and 49 blossom . " +
            "\" the lush picture ! \" said li . a greenhouse harvested behind the new hose . it was a big day for the sprout . " +
            "bob and yuki visited the fence with a loan . the fertile weed made the flower . \" the simple vine ! \" said lucy . " +
            "the leafy shovel bloomed the blossom .",
            Corpus(0).DocumentText(first));
        Assert.All(first.Topics.Skip(1), t => Assert.Equal(Vocabulary.Topics.ToList().IndexOf("garden"), t));
    }

    [Fact]
    public void Generate_is_the_prefix_of_the_concatenated_documents_and_every_enumeration_restarts()
    {
        var corpus = Corpus(3);
        var documents = corpus.Documents().Take(40).ToList();
        var concatenated = documents.SelectMany(d => d.Ids).ToArray();
        var labels = documents.SelectMany(d => d.Topics).ToArray();
        var quotes = documents.SelectMany(d => d.InQuote).ToArray();
        var n = concatenated.Length - 17;
        var stream = corpus.GenerateLabeled(n);
        Assert.Equal(concatenated[..n], stream.Ids);
        Assert.Equal(labels[..n], stream.Topics);
        Assert.Equal(quotes[..n], stream.InQuote);
        Assert.Equal(stream.Ids, corpus.Generate(n).Ids);
        Assert.Equal(documents[0].Ids, corpus.Documents().First().Ids);
        Assert.Empty(corpus.Generate(0).Ids);
    }

    [Fact]
    public void Documents_start_with_doc_labelled_minus_one_and_have_four_to_ten_sentences()
    {
        foreach (var document in Corpus(1).Documents().Take(500))
        {
            Assert.Equal(Vocabulary.DocId, document.Ids[0]);
            Assert.Equal(-1, document.Topics[0]);
            Assert.DoesNotContain(Vocabulary.DocId, document.Ids[1..]);
            Assert.All(document.Topics[1..], t => Assert.InRange(t, 0, Vocabulary.Topics.Count - 1));
            Assert.Equal(document.Ids.Length, document.Topics.Length);
            Assert.InRange(SentenceEnds(document.Ids), 4, 10);
        }
        var options = new PlantedCorpusOptions { MinSentences = 2, MaxSentences = 3 };
        Assert.All(Corpus(1, options).Documents().Take(200), d => Assert.InRange(SentenceEnds(d.Ids), 2, 3));
    }

    [Fact]
    public void Every_topic_appears_as_a_segment_and_through_its_words()
    {
        var (ids, topics) = Corpus(2).Generate(100_000);
        var segmentTopics = topics.Where(t => t >= 0).ToHashSet();
        var wordTopics = ids.Select(Vocabulary.TopicOfWord).Where(t => t >= 0).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 12).ToHashSet(), segmentTopics);
        Assert.Equal(Enumerable.Range(0, 12).ToHashSet(), wordTopics);
        Assert.Contains(Vocabulary.WordId("francisco"), ids);
        Assert.Contains(ids, id => Vocabulary.Word(id) is { Length: 4 } w && char.IsDigit(w[0]));   // a year
        Assert.Contains(ids, id => Vocabulary.Word(id) is { Length: <= 2 } w && char.IsDigit(w[0])); // a number
        Assert.Contains(Vocabulary.WordId("maria"), ids);
    }

    // content tokens: topic words and generic nouns/verbs/adjectives (ids "thing" … the word before "bridge"),
    // leaving out "day", which is also a literal of a template
    private static (double OwnOfContent, double OwnOfTopicWords) TopicFractions(int[] ids, int[] topics)
    {
        int firstGeneric = Vocabulary.WordId("thing"), firstTopic = Vocabulary.WordId("bridge"), day = Vocabulary.WordId("day");
        long content = 0, topicWords = 0, own = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] == day) continue;
            var owner = Vocabulary.TopicOfWord(ids[i]);
            if (owner >= 0 || (ids[i] >= firstGeneric && ids[i] < firstTopic)) content++;
            if (owner >= 0) topicWords++;
            if (owner >= 0 && owner == topics[i]) own++;
        }
        return ((double)own / content, (double)own / topicWords);
    }

    [Fact]
    public void About_seventy_percent_of_content_words_belong_to_their_segments_topic()
    {
        var (ids, topics) = Corpus(4).Generate(200_000);
        var (ofContent, ofTopicWords) = TopicFractions(ids, topics);
        Assert.InRange(ofContent, 0.67, 0.74);          // p_topic 0.7 (+ noise that lands on the own topic)
        Assert.InRange(ofTopicWords, 0.95, 0.99);       // 0.7017 / 0.72: the rest is the 2% noise
    }

    [Fact]
    public void The_probabilities_steer_the_labels_as_configured()
    {
        var noisy = new PlantedCorpusOptions { TopicProbability = 0.4, NoiseProbability = 0.3 };
        var (ids, topics) = Corpus(4, noisy).Generate(200_000);
        var (ofContent, ofTopicWords) = TopicFractions(ids, topics);
        Assert.InRange(ofContent, 0.39, 0.46);          // 0.4 + 0.3/12
        Assert.InRange(ofTopicWords, 0.56, 0.63);       // 0.425 / 0.7

        var generic = new PlantedCorpusOptions { TopicProbability = 0, NoiseProbability = 0 };
        Assert.DoesNotContain(Corpus(4, generic).Generate(20_000).Ids, id => Vocabulary.TopicOfWord(id) >= 0);
    }

    [Theory]
    [InlineData(0.1, 0.08, 0.12)]
    [InlineData(0.5, 0.46, 0.54)]
    [InlineData(0.0, 0.0, 0.0)]
    [InlineData(1.0, 1.0, 1.0)]
    public void Documents_switch_topic_once_at_about_the_configured_rate(double probability, double low, double high)
    {
        var documents = Corpus(8, new PlantedCorpusOptions { SwitchProbability = probability }).Documents().Take(3000).ToList();
        var switched = 0;
        foreach (var document in documents)
        {
            var changes = 0;
            for (var i = 2; i < document.Topics.Length; i++)
                if (document.Topics[i] != document.Topics[i - 1])
                {
                    changes++;
                    // a switch happens at a sentence start: the token before ends a sentence (a closing quote included)
                    Assert.Contains(Vocabulary.Word(document.Ids[i - 1]), new[] { ".", "?", "\"" });
                }
            Assert.InRange(changes, 0, 1);
            switched += changes;
        }
        Assert.InRange((double)switched / documents.Count, low, high);
    }

    [Fact]
    public void In_quote_flags_mark_the_tokens_between_quote_marks()
    {
        var quote = Vocabulary.WordId("\"");
        var stream = Corpus(9).GenerateLabeled(20_000);
        var open = false;
        var inside = 0;
        for (var i = 0; i < stream.Ids.Length; i++)
        {
            if (stream.Ids[i] == quote)
            {
                open = !open;
                Assert.False(stream.InQuote[i]);
            }
            else Assert.Equal(open, stream.InQuote[i]);
            if (stream.InQuote[i]) inside++;
        }
        Assert.InRange(inside, 1000, 5000);
    }

    [Fact]
    public void Generated_text_encodes_back_to_the_same_ids()
    {
        var corpus = Corpus(10);
        foreach (var document in corpus.Documents().Take(200))
            Assert.Equal(document.Ids, Vocabulary.Encode(corpus.DocumentText(document)));
    }

    [Fact]
    public void A_saved_and_loaded_vocabulary_generates_the_same_corpus()
    {
        using var dir = new TempFolder();
        Vocabulary.Save(dir["v.json"]);
        var loaded = PlantedVocabulary.Load(dir["v.json"]);
        Assert.Equal(Corpus(11).Generate(5000).Ids, new PlantedCorpus(loaded, new PlantedCorpusOptions { Seed = 11 }).Generate(5000).Ids);
    }

    [Fact]
    public void A_vocabulary_without_the_lexicon_is_an_error_naming_the_missing_word()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir["small.json"],
            """{"format":"runner-planted-vocab","version":1,"words":["<doc>","the"],"topics":["bridge","ocean","code","cooking","space","music","sports","garden","medicine","finance","weather","castle"],"word_topics":[-1,-1]}""");
        var small = PlantedVocabulary.Load(dir["small.json"]);
        Assert.Contains("lacks 'bridge', a word of the built-in planted lexicon", Assert.Throws<RunnerException>(() => new PlantedCorpus(small, new PlantedCorpusOptions())).Message);

        File.WriteAllText(dir["topics.json"], """{"format":"runner-planted-vocab","version":1,"words":["<doc>"],"topics":["bridge"],"word_topics":[-1]}""");
        var other = PlantedVocabulary.Load(dir["topics.json"]);
        Assert.Contains("topics [bridge] differ", Assert.Throws<RunnerException>(() => new PlantedGrammar(other)).Message);
    }

    public static TheoryData<PlantedCorpusOptions, string> BadOptions() => new()
    {
        { new PlantedCorpusOptions { TopicProbability = 1.5 }, "TopicProbability must be in [0, 1], got 1.5" },
        { new PlantedCorpusOptions { NoiseProbability = double.NaN }, "NoiseProbability must be in [0, 1], got NaN" },
        { new PlantedCorpusOptions { TopicProbability = 0.9, NoiseProbability = 0.2 }, "TopicProbability + NoiseProbability must be <= 1" },
        { new PlantedCorpusOptions { SwitchProbability = -0.1 }, "SwitchProbability must be in [0, 1], got -0.1" },
        { new PlantedCorpusOptions { MinSentences = 0 }, "MinSentences must be >= 1, got 0" },
        { new PlantedCorpusOptions { MinSentences = 5, MaxSentences = 4 }, "MaxSentences must be >= MinSentences (5), got 4" },
        { new PlantedCorpusOptions { MaxSentences = 1_000_000 }, "MaxSentences must be <= 100000" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void An_option_out_of_range_is_an_error_naming_it(PlantedCorpusOptions options, string expected)
    {
        var e = Assert.Throws<RunnerException>(() => new PlantedCorpus(Vocabulary, options));
        Assert.Contains(expected, e.Message);
        Assert.Equal(2, e.ExitCode);
    }
}
