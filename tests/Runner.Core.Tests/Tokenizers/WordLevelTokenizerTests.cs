using Runner.Core.Tokenizers;

namespace Runner.Core.Tests.Tokenizers;

public sealed class WordLevelTokenizerTests : IDisposable
{
    private readonly TinyTokenizerFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static Dictionary<string, int> Vocab(params string[] words) => words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);

    private ITokenizer Write(Dictionary<string, int> vocab, object? preTokenizer = null, string? unk = "<unk>", object[]? added = null,
        object? tokenizerConfig = null, object? decoder = null, object? postProcessor = null)
    {
        var model = new Dictionary<string, object?> { ["type"] = "WordLevel", ["vocab"] = vocab };
        if (unk is not null) model["unk_token"] = unk;
        _folder.WriteJson("tokenizer.json", new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["added_tokens"] = added ?? [],
            ["normalizer"] = null,
            ["pre_tokenizer"] = preTokenizer ?? new { type = "WhitespaceSplit" },
            ["post_processor"] = postProcessor,
            ["decoder"] = decoder,
            ["model"] = model,
        });
        if (tokenizerConfig is not null) _folder.WriteJson("tokenizer_config.json", tokenizerConfig);
        return _folder.Load();
    }

    private static object Special(int id, string content) =>
        new { id, content, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true };

    [Fact]
    public void Whitespace_split_looks_every_word_up_whole()
    {
        var t = Write(Vocab("<doc>", "the", "bridge", ".", "\"", "1999"));
        Assert.Equal([1, 2, 3, 4, 5, 1], t.Encode("the bridge .\t\"  1999\nthe "));
        Assert.Equal(6, t.VocabSize);
        Assert.Equal("bridge", t.Piece(2));
    }

    [Fact]
    public void Decode_joins_the_words_with_single_spaces_and_skips_unknown_ids()
    {
        var t = Write(Vocab("<doc>", "the", "bridge", "."), added: [Special(0, "<doc>")]);
        Assert.Equal("<doc> the bridge .", t.Decode([0, 1, 2, 3]));
        Assert.Equal("the bridge .", t.Decode([0, 1, 2, 3], skipSpecial: true));
        Assert.Equal("the .", t.Decode([1, 99, -1, 3]));
        Assert.Equal("", t.Decode([]));
    }

    [Fact]
    public void A_special_added_token_is_split_out_of_the_raw_text()
    {
        var t = Write(Vocab("<doc>", "the", "bridge"), added: [Special(0, "<doc>")]);
        Assert.Equal([0, 1, 0, 2], t.Encode("<doc> the<doc>bridge"));
        Assert.True(t.IsSpecial(0));
        Assert.False(t.IsSpecial(1));
    }

    [Fact]
    public void An_unknown_word_becomes_the_unk_token_when_the_vocabulary_has_it()
    {
        var t = Write(Vocab("[UNK]", "the", "bridge"), unk: "[UNK]");
        Assert.Equal([1, 0, 2], t.Encode("the tunnel bridge"));
    }

    [Fact]
    public void An_unknown_word_without_an_unk_token_in_the_vocabulary_is_an_error_naming_it()
    {
        var t = Write(Vocab("the", "bridge"));
        var e = Assert.Throws<RunnerException>(() => t.Encode("the tunnel"));
        Assert.Equal("'tunnel' is not in the tokenizer's vocabulary (2 words), and its unk token '<unk>' is not either, so unknown words cannot be encoded", e.Message);
        // no unk_token key at all: tokenizers' default "<unk>"
        Assert.Throws<RunnerException>(() => Write(Vocab("the"), unk: null).Encode("bridge"));
    }

    [Fact]
    public void The_whitespace_pre_tokenizer_separates_word_characters_from_punctuation()
    {
        var t = Write(Vocab("hello", ",", "world", "!?", "don", "'", "t", "x_1"), preTokenizer: new { type = "Whitespace" });
        Assert.Equal([0, 1, 2, 3], t.Encode("hello, world!?"));
        Assert.Equal([4, 5, 6, 7], t.Encode("don't x_1"));
    }

    [Fact]
    public void Bos_and_eos_come_from_tokenizer_config_and_an_explicit_null_eos_means_none()
    {
        var t = Write(Vocab("<doc>", "the"), added: [Special(0, "<doc>")], tokenizerConfig: new { bos_token = "<doc>", eos_token = (string?)null });
        Assert.Equal(0, t.BosId);
        Assert.Null(t.EosId);
        Assert.False(t.AddsBosByDefault);
    }

    [Fact]
    public void A_template_post_processor_gives_the_bos_it_adds()
    {
        var t = Write(Vocab("[CLS]", "[SEP]", "the"), added: [Special(0, "[CLS]"), Special(1, "[SEP]")], postProcessor: new
        {
            type = "TemplateProcessing",
            single = new object[] { new { SpecialToken = new { id = "[CLS]", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } }, new { SpecialToken = new { id = "[SEP]", type_id = 0 } } },
            special_tokens = new Dictionary<string, object> { ["[CLS]"] = new { id = "[CLS]", ids = new[] { 0 } }, ["[SEP]"] = new { id = "[SEP]", ids = new[] { 1 } } },
        });
        Assert.Equal(0, t.BosId);
        Assert.Equal(1, t.EosId);
        Assert.True(t.AddsBosByDefault);
        Assert.Equal([2], t.Encode("the"));
    }

    [Fact]
    public void A_decoder_or_a_byte_level_step_is_rejected_with_a_word_level_model()
    {
        var e = Assert.Throws<RunnerException>(() => Write(Vocab("the"), decoder: new { type = "WordPiece", prefix = "##" }));
        Assert.Contains("decoder: an object is not supported with a WordLevel model", e.Message);
        e = Assert.Throws<RunnerException>(() => Write(Vocab("the"), preTokenizer: new { type = "ByteLevel" }));
        Assert.Contains("pre_tokenizer: a ByteLevel step is not supported with a WordLevel model", e.Message);
    }

    [Fact]
    public void Two_words_with_one_id_are_rejected()
    {
        var e = Assert.Throws<RunnerException>(() => Write(new Dictionary<string, int> { ["a"] = 0, ["b"] = 0 }));
        Assert.Contains("model.vocab: \"b\" and \"a\" both have id 0", e.Message);
    }
}
