using System.Text.Json.Nodes;
using Runner.Core.Data.Planted;
using Runner.Core.Tests.IO;

namespace Runner.Core.Tests.Planted;

public sealed class PlantedVocabularyTests : IDisposable
{
    private static readonly PlantedVocabulary Vocabulary = PlantedVocabulary.Create();
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_vocabulary_has_the_proof_of_concepts_821_words_at_the_same_ids()
    {
        // ids checked against corpus.py's Vocab()
        Assert.Equal(821, Vocabulary.Count);
        Assert.Equal(0, Vocabulary.DocId);
        Assert.Equal("<doc>", Vocabulary.Word(0));
        Assert.Equal(19, Vocabulary.WordId("\""));
        Assert.Equal(109, Vocabulary.WordId("bridge"));
        Assert.Equal(132, Vocabulary.WordId("gate"));
        Assert.Equal(133, Vocabulary.WordId("golden"));
        Assert.Equal(135, Vocabulary.WordId("francisco"));
        Assert.Equal(552, Vocabulary.WordId("castle"));
        Assert.Equal(574, Vocabulary.WordId("spear"));
        Assert.Equal(591, Vocabulary.WordId("1"));
        Assert.Equal(690, Vocabulary.WordId("1900"));
        Assert.Equal(820, Vocabulary.WordId("2030"));
        Assert.Equal(Vocabulary.Count, Vocabulary.Words.Distinct().Count());
    }

    [Fact]
    public void There_are_twelve_topics_in_a_fixed_order_each_owning_its_words()
    {
        Assert.Equal(["bridge", "ocean", "code", "cooking", "space", "music", "sports", "garden", "medicine", "finance", "weather", "castle"],
            Vocabulary.Topics);
        for (var t = 0; t < Vocabulary.Topics.Count; t++)
        {
            var owned = Enumerable.Range(0, Vocabulary.Count).Count(id => Vocabulary.TopicOfWord(id) == t);
            Assert.InRange(owned, 40, 45);
        }
        Assert.Equal(2, Vocabulary.TopicOfWord(Vocabulary.WordId("compiler")));
        Assert.Equal(11, Vocabulary.TopicOfWord(Vocabulary.WordId("dragon")));
    }

    [Fact]
    public void Bridge_words_include_the_ones_the_issue_names_and_the_golden_gate_phrase()
    {
        var bridge = Vocabulary.Topics.ToList().IndexOf("bridge");
        foreach (var word in new[] { "bay", "span", "suspension", "cable", "tower", "golden", "gate", "bridge", "san", "francisco", "fog", "toll" })
            Assert.Equal(bridge, Vocabulary.TopicOfWord(Vocabulary.WordId(word)));
    }

    [Fact]
    public void Function_words_names_numbers_and_generic_words_belong_to_no_topic()
    {
        foreach (var word in new[] { "<doc>", "the", ".", "\"", "in", "maria", "42", "1999", "thing", "saw", "big", "day" })
            Assert.Equal(-1, Vocabulary.TopicOfWord(Vocabulary.WordId(word)));
    }

    [Fact]
    public void An_unknown_word_is_an_error_naming_it()
    {
        Assert.Contains("'bridges'", Assert.Throws<RunnerException>(() => Vocabulary.WordId("bridges")).Message);
        Assert.False(Vocabulary.TryGetWordId("bridges", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.Word(Vocabulary.Count));
        Assert.Throws<ArgumentOutOfRangeException>(() => Vocabulary.TopicOfWord(-1));
    }

    [Fact]
    public void Encode_splits_on_whitespace_and_Decode_joins_with_single_spaces()
    {
        var ids = Vocabulary.Encode("  maria crossed the\tgolden gate bridge\nin 1937 . ");
        Assert.Equal(9, ids.Length);
        Assert.Equal([Vocabulary.WordId("golden"), Vocabulary.WordId("gate"), Vocabulary.WordId("bridge")], ids[3..6]);
        Assert.Equal("maria crossed the golden gate bridge in 1937 .", Vocabulary.Decode(ids));
        Assert.Empty(Vocabulary.Encode(" \n "));
        Assert.Equal("", Vocabulary.Decode([]));
    }

    [Fact]
    public void Encode_names_the_first_unknown_word_and_its_position()
    {
        var e = Assert.Throws<RunnerException>(() => Vocabulary.Encode("the golden Gate zzz bridge"));
        Assert.Contains("'Gate' (word 3 of the text)", e.Message);
    }

    [Fact]
    public void Save_then_Load_gives_the_same_words_topics_and_owners()
    {
        var path = _dir["vocab.json"];
        Vocabulary.Save(path);
        var loaded = PlantedVocabulary.Load(path);
        Assert.Equal(Vocabulary.Words, loaded.Words);
        Assert.Equal(Vocabulary.Topics, loaded.Topics);
        Assert.Equal(Vocabulary.DocId, loaded.DocId);
        Assert.Equal(Enumerable.Range(0, Vocabulary.Count).Select(Vocabulary.TopicOfWord), Enumerable.Range(0, loaded.Count).Select(loaded.TopicOfWord));
        Assert.False(File.Exists(path + ".tmp"));

        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        Assert.Equal(["format", "version", "words", "topics", "word_topics"], root.Select(p => p.Key));
        Assert.Equal("runner-planted-vocab", (string)root["format"]!);
        Assert.Equal(1, (int)root["version"]!);
        Assert.Contains("\"<doc>\"", File.ReadAllText(path));   // not escaped as \u003C
    }

    private string Write(string name, string json)
    {
        var path = _dir[name];
        File.WriteAllText(path, json);
        return path;
    }

    // a valid file's JSON with one key replaced (null removes it)
    private string Mutated(string key, JsonNode? value)
    {
        var path = _dir["good.json"];
        Vocabulary.Save(path);
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        if (value is null) root.Remove(key);
        else root[key] = value;
        return root.ToJsonString();
    }

    public static TheoryData<string, string> MalformedFiles() => new()
    {
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":[\"a\",", "not valid JSON" },
        { "[1, 2]", "expected a JSON object, found an array" },
        { "{\"format\":\"runner-vocab\",\"version\":1}", "\"format\" must be \"runner-planted-vocab\", found \"runner-vocab\"" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":2}", "\"version\" must be 1, found 2" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":\"the\"}", "\"words\" must be an array of strings, found string" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":[\"<doc>\",3],\"topics\":[\"t\"],\"word_topics\":[-1,-1]}", "\"words\"[1] must be a string, found 3" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":[\"<doc>\",\"a\"],\"topics\":[\"t\"],\"word_topics\":[-1]}", "\"word_topics\" has 1 entries but \"words\" has 2" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":[\"<doc>\",\"a\",\"a\"],\"topics\":[\"t\"],\"word_topics\":[-1,0,0]}", "\"words\"[2] 'a' repeats \"words\"[1]" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":[\"<doc>\",\"a b\"],\"topics\":[\"t\"],\"word_topics\":[-1,0]}", "\"words\"[1] must be a non-empty word without whitespace" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":[\"a\"],\"topics\":[\"t\"],\"word_topics\":[0]}", "lacks the document separator '<doc>'" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":[\"<doc>\",\"a\"],\"topics\":[\"t\"],\"word_topics\":[-1,1]}", "\"word_topics\"[1] must be an integer in [-1, 0], found 1" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":[\"<doc>\",\"a\"],\"topics\":[\"t\"],\"word_topics\":[-1,0.5]}", "\"word_topics\"[1] must be an integer in [-1, 0], found 0.5" },
        { "{\"format\":\"runner-planted-vocab\",\"version\":1,\"words\":[\"<doc>\"],\"topics\":[\"t\",\"t\"],\"word_topics\":[-1]}", "\"topics\" has a repeated name" },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public void A_malformed_file_is_an_error_naming_the_file_and_the_problem(string json, string expected)
    {
        var path = Write("bad.json", json);
        var e = Assert.Throws<RunnerException>(() => PlantedVocabulary.Load(path));
        Assert.Contains($"planted vocabulary '{path}'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_missing_key_is_an_error_naming_the_key()
    {
        var path = Write("nokey.json", Mutated("word_topics", null));
        Assert.Contains("\"word_topics\" must be an array of integers, found nothing", Assert.Throws<RunnerException>(() => PlantedVocabulary.Load(path)).Message);
    }

    [Fact]
    public void A_truncated_file_is_an_error_naming_the_file()
    {
        var good = _dir["full.json"];
        Vocabulary.Save(good);
        var text = File.ReadAllText(good);
        var path = Write("truncated.json", text[..(text.Length / 2)]);
        var e = Assert.Throws<RunnerException>(() => PlantedVocabulary.Load(path));
        Assert.Contains($"'{path}': not valid JSON", e.Message);
    }

    [Fact]
    public void A_missing_file_is_an_error_naming_the_file()
    {
        var path = _dir["absent.json"];
        Assert.Contains($"cannot read planted vocabulary '{path}'", Assert.Throws<RunnerException>(() => PlantedVocabulary.Load(path)).Message);
    }

    [Fact]
    public void Saving_into_a_missing_folder_is_an_error_naming_the_file()
    {
        var path = _dir["no/such/folder/vocab.json"];
        Assert.Contains($"cannot write planted vocabulary '{path}'", Assert.Throws<RunnerException>(() => Vocabulary.Save(path)).Message);
    }
}
