using Runner.Core.Data.Planted;

namespace Runner.Core.Tests.Planted;

public sealed class PlantedGrammarTests
{
    private static readonly PlantedVocabulary Vocabulary = PlantedVocabulary.Create();
    private static readonly PlantedGrammar Grammar = new(Vocabulary);

    private static (int Complete, int Grammatical) Check(string text) => Grammar.Check(Vocabulary.Encode(text));

    [Theory]
    [InlineData(0UL, 30_000)]
    [InlineData(1UL, 12_345)]
    [InlineData(2UL, 777)]
    [InlineData(3UL, 50_001)]
    public void Every_complete_sentence_the_generator_wrote_parses(ulong seed, int tokens)
    {
        var ids = new PlantedCorpus(Vocabulary, new PlantedCorpusOptions { Seed = seed }).Generate(tokens).Ids;
        var (complete, grammatical) = Grammar.Check(ids);
        Assert.Equal(complete, grammatical);
        // each template has one "." or "?"; only a cut between ". and its closing quote loses one
        int period = Vocabulary.WordId("."), question = Vocabulary.WordId("?");
        var ends = ids.Count(id => id == period || id == question);
        Assert.InRange(complete, ends - 1, ends);
        Assert.True(complete > tokens / 15);
    }

    [Fact]
    public void Every_cut_of_a_document_leaves_only_its_complete_sentences_judged()
    {
        var document = new PlantedCorpus(Vocabulary, new PlantedCorpusOptions { Seed = 21 }).Documents().Skip(3).First();
        int period = Vocabulary.WordId("."), question = Vocabulary.WordId("?");
        for (var n = 0; n <= document.Ids.Length; n++)
        {
            var (complete, grammatical) = Grammar.Check(document.Ids.AsSpan(0, n));
            Assert.Equal(complete, grammatical);
            var ends = document.Ids.Take(n).Count(id => id == period || id == question);
            Assert.InRange(complete, ends - 1, ends);
        }
    }

    [Fact]
    public void Shuffled_tokens_are_almost_never_grammatical()
    {
        var ids = new PlantedCorpus(Vocabulary, new PlantedCorpusOptions { Seed = 5 }).Generate(20_000).Ids;
        new Random(0).Shuffle(ids);
        var (complete, grammatical) = Grammar.Check([Vocabulary.DocId, .. ids]);
        Assert.True(complete > 1000);
        Assert.True(grammatical < complete / 50, $"{grammatical} of {complete} shuffled sentences parsed");
    }

    [Fact]
    public void Sentences_with_their_words_shuffled_are_mostly_rejected()
    {
        var documents = new PlantedCorpus(Vocabulary, new PlantedCorpusOptions { Seed = 6 }).Documents().Take(300).ToList();
        var random = new Random(1);
        int period = Vocabulary.WordId("."), question = Vocabulary.WordId("?"), sentences = 0;
        var shuffled = new List<int>();
        foreach (var ids in documents.Select(d => d.Ids))
        {
            shuffled.Add(Vocabulary.DocId);
            // shuffle each run of words up to a "." or "?" that no closing quote follows, keeping that end
            var start = 1;
            for (var i = 1; i < ids.Length; i++)
                if ((ids[i] == period || ids[i] == question) && (i + 1 == ids.Length || ids[i + 1] != Vocabulary.WordId("\"")))
                {
                    var words = ids[start..i];
                    random.Shuffle(words);
                    shuffled.AddRange(words);
                    shuffled.Add(ids[i]);
                    sentences++;
                    start = i + 1;
                }
        }
        var (complete, grammatical) = Grammar.Check(shuffled.ToArray());
        Assert.True(complete >= sentences / 2);
        Assert.True(grammatical < complete / 10, $"{grammatical} of {complete} shuffled sentences parsed");
    }

    [Theory]
    [InlineData("did the golden gate bridge crossed the whale ?")]                      // a phrase is one noun
    [InlineData("maria crossed the san francisco in 1937 .")]
    [InlineData("the golden compiler baked the golden gate bridge .")]                  // any topic's word in a slot of its class
    [InlineData("there were 12 thing near the day .")]                                  // generic words, "day" as a noun
    [InlineData("maria said \" the bay crossed the rusty pier . \"")]
    [InlineData("\" the iconic strait ! \" said tom .")]
    [InlineData("after the storm , the ship was very salty .")]
    [InlineData("we sang 3 loud drum and 99 chord .")]
    public void A_sentence_of_a_template_with_words_of_the_right_class_is_grammatical(string sentence) =>
        Assert.Equal((1, 1), Check(sentence));

    [Theory]
    [InlineData("did the golden painted crossed the whale ?")]                          // adjective, verb in noun slots
    [InlineData("maria crossed the bridge in 42 .")]                                     // a number where a year belongs
    [InlineData("the golden gate crossed the .")]
    [InlineData("crossed the bridge maria .")]
    [InlineData("there were 12 golden gate near the day .")]                             // "golden gate" is no phrase
    public void A_sentence_that_fits_no_template_is_not(string sentence) => Assert.Equal((1, 0), Check(sentence));

    [Fact]
    public void A_sentence_cut_off_by_the_end_is_not_judged()
    {
        Assert.Equal((0, 0), Check("maria said \" the bay crossed the rusty pier ."));  // closing quote missing
        Assert.Equal((0, 0), Check("did the golden gate"));
        Assert.Equal((0, 0), Check("the rusty rusty rusty"));                            // bad, but no end yet
        Assert.Equal((1, 1), Check("<doc> did the bay crossed the pier ? the rusty"));
        Assert.Equal((0, 0), Grammar.Check([]));
    }

    [Fact]
    public void Doc_ends_a_sentence_and_starts_a_new_one()
    {
        Assert.Equal((2, 1), Check("<doc> the rusty bay <doc> did the bay crossed the pier ?"));
        Assert.Equal((1, 1), Check("<doc> <doc> did the bay crossed the pier ? <doc>"));
    }

    [Fact]
    public void After_a_bad_sentence_parsing_resumes_at_the_next_sentence()
    {
        Assert.Equal((3, 2), Check("did the bay crossed the pier ? the the the . \" the iconic strait ! \" said tom ."));
        // a bad sentence that opened a quote takes its closing mark with it
        Assert.Equal((2, 1), Check("maria said \" the the the . \" did the bay crossed the pier ?"));
        Assert.Equal((2, 0), Check("bay ! bay . pier ?"));   // "!" ends no sentence, as in the proof of concept
    }

    [Fact]
    public void Sentences_ending_before_judge_from_are_not_counted()
    {
        var ids = Vocabulary.Encode("<doc> did the bay crossed the pier ? the the the . did the bay crossed the pier ?");
        Assert.Equal((3, 2), Grammar.Check(ids));
        Assert.Equal((2, 1), Grammar.Check(ids, 8));
        Assert.Equal((1, 1), Grammar.Check(ids, 12));
    }

    [Fact]
    public void Ids_outside_the_vocabulary_fill_no_slot_and_crash_nothing()
    {
        int period = Vocabulary.WordId("."), the = Vocabulary.WordId("the");
        Assert.Equal((1, 0), Grammar.Check([-3, Vocabulary.Count, int.MaxValue, period]));
        Assert.Equal((1, 0), Grammar.Check([the, -1, Vocabulary.WordId("crossed"), the, Vocabulary.WordId("bay"), period]));
    }
}
