using Runner.Core.Tokenizers;

namespace Runner.Core.Tests.Tokenizers;

/// <summary>tokenizer.json features: merges forms, ignore_merges, Split pre-tokenizers, normalizers,
/// post-processors and BOS/EOS resolution.</summary>
public sealed class TokenizerJsonTests : IDisposable
{
    private readonly TinyTokenizerFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private static object SplitThenByteLevel(string pattern, string behavior = "Isolated", bool invert = false) => new
    {
        type = "Sequence",
        pretokenizers = new object[]
        {
            new { type = "Split", pattern = new { Regex = pattern }, behavior, invert },
            new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = false },
        },
    };

    [Fact]
    public void Merges_as_strings_and_as_pairs_give_the_same_ids()
    {
        (string, string)[] merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o")];
        var asPairs = new TinyTokenizerFolder().WriteTokenizerJson(merges, mergesAsPairs: true);
        try
        {
            var a = _folder.WriteTokenizerJson(merges).Load().Encode("hello");
            Assert.Equal([259], a);
            Assert.Equal(a, asPairs.Load().Encode("hello"));
        }
        finally { asPairs.Dispose(); }
    }

    [Fact]
    public void Ignore_merges_takes_a_whole_word_from_the_vocabulary()
    {
        // "abc" is in the vocabulary but no merge builds it: only ignore_merges finds it.
        var vocab = TinyTokenizerFolder.Vocab([("a", "b")], "abc");
        var plain = new TinyTokenizerFolder().WriteTokenizerJson([("a", "b")], vocab: vocab);
        try
        {
            var t = _folder.WriteTokenizerJson([("a", "b")], d => ((Dictionary<string, object?>)d["model"]!)["ignore_merges"] = true, vocab).Load();
            Assert.Equal([257], t.Encode("abc"));
            Assert.Equal([256, 'c'], plain.Load().Encode("abc"));
        }
        finally { plain.Dispose(); }
    }

    [Fact]
    public void Split_behaviors_follow_the_tokenizers_library()
    {
        int[] Ids(string behavior, bool invert = false)
        {
            using var f = new TinyTokenizerFolder();
            return f.WriteTokenizerJson([], d => d["pre_tokenizer"] = SplitThenByteLevel("-", behavior, invert)).Load().Encode("a-b--c");
        }
        // The pre-token boundaries are invisible in ids without merges, so check which characters survive.
        Assert.Equal("abc", string.Concat(Ids("Removed").Select(i => (char)i)));
        Assert.Equal("a-b--c", string.Concat(Ids("Isolated").Select(i => (char)i)));
        Assert.Equal("---", string.Concat(Ids("Removed", invert: true).Select(i => (char)i)));

        var steps = new SplitStep(SplitPattern.FromLiteral("-"), SplitBehavior.MergedWithPrevious, false);
        Assert.Equal(["a-", "b-", "-", "c"], Pieces(steps, "a-b--c"));
        Assert.Equal(["a", "-b", "-", "-c"], Pieces(new SplitStep(SplitPattern.FromLiteral("-"), SplitBehavior.MergedWithNext, false), "a-b--c"));
        Assert.Equal(["a", "-", "b", "--", "c"], Pieces(new SplitStep(SplitPattern.FromLiteral("-"), SplitBehavior.Contiguous, false), "a-b--c"));
        Assert.Equal(["a", "-", "b", "-", "-", "c"], Pieces(new SplitStep(SplitPattern.FromLiteral("-"), SplitBehavior.Isolated, false), "a-b--c"));
    }

    private static List<string> Pieces(PreTokenizerStep step, string text) => PreTokenizerStep.Run([step], text);

    [Fact]
    public void The_nfc_normalizer_composes_before_pre_tokenization()
    {
        var vocab = TinyTokenizerFolder.Vocab([("Ã", "©")]);   // "é" is C3 A9
        var t = _folder.WriteTokenizerJson([("Ã", "©")], d => d["normalizer"] = new { type = "NFC" }, vocab).Load();
        Assert.Equal([256], t.Encode("e\u0301"));
        Assert.Equal("é", t.Decode(t.Encode("e\u0301")));
    }

    [Fact]
    public void A_template_post_processor_adds_its_bos_by_default()
    {
        var vocab = TinyTokenizerFolder.Vocab([]);
        var t = _folder.WriteTokenizerJson([], d =>
        {
            d["added_tokens"] = new object[]
            {
                new { id = 256, content = "<|begin_of_text|>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
                new { id = 257, content = "<|end_of_text|>", single_word = false, lstrip = false, rstrip = false, normalized = false, special = true },
            };
            d["post_processor"] = new
            {
                type = "Sequence",
                processors = new object[]
                {
                    new { type = "ByteLevel", add_prefix_space = true, trim_offsets = false, use_regex = true },
                    new
                    {
                        type = "TemplateProcessing",
                        single = new object[] { new { SpecialToken = new { id = "<|begin_of_text|>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
                        special_tokens = new Dictionary<string, object> { ["<|begin_of_text|>"] = new { id = "<|begin_of_text|>", ids = new[] { 256 }, tokens = new[] { "<|begin_of_text|>" } } },
                    },
                },
            };
        }, vocab).Load();
        Assert.Equal((258, 256, (int?)null, true), (t.VocabSize, t.BosId, t.EosId, t.AddsBosByDefault));
        Assert.Equal([256, 'h', 'i'], t.Encode("<|begin_of_text|>hi"));   // Encode itself never adds it
        Assert.Equal(['h', 'i'], t.Encode("hi"));
    }

    [Fact]
    public void Bos_and_eos_come_from_tokenizer_config_then_special_tokens_map_then_config_json()
    {
        _folder.WriteTokenizerJson([], vocab: TinyTokenizerFolder.Vocab([], "<s>", "</s>", "<eos2>"));
        _folder.WriteJson("config.json", new { bos_token_id = 256, eos_token_id = new[] { 258, 257 } });
        var t = _folder.Load();
        Assert.Equal((256, 258, false), (t.BosId, t.EosId, t.AddsBosByDefault));

        _folder.WriteJson("special_tokens_map.json", new { eos_token = "</s>" });
        Assert.Equal(257, _folder.Load().EosId);

        _folder.WriteJson("tokenizer_config.json", new Dictionary<string, object?> { ["bos_token"] = null, ["eos_token"] = new { content = "<eos2>" } });
        t = _folder.Load();
        Assert.Equal(((int?)null, 258), (t.BosId, t.EosId));   // an explicit null means none (Qwen)
    }

    [Fact]
    public void Llama3s_pattern_splits_digits_in_threes_and_keeps_astral_characters_whole()
    {
        var p = SplitPattern.FromRegex(Llama3Pattern);
        Assert.Equal(["123", "456", "7"], Texts(p, "1234567"));
        Assert.Equal(["𝟏𝟐𝟑", "𝟒"], Texts(p, "𝟏𝟐𝟑𝟒"));                    // astral digits count once each
        Assert.Equal(["a𝒜b", " 𝒜"], Texts(p, "a𝒜b 𝒜"));                   // astral letters are \p{L}
        Assert.Equal(["😀😃", " 👍🏽"], Texts(p, "😀😃 👍🏽"));                // never split inside a surrogate pair
        Assert.Equal(["it", "'S", " ok"], Texts(p, "it'S ok"));
        Assert.Equal(["it", "'ſ", "elf"], Texts(p, "it'ſelf"));              // Oniguruma folds ſ to s under (?i)
        Assert.Equal(["word", " \uFEFF", "word"], Texts(p, "word \uFEFFword")); // U+FEFF is not \s
        Assert.Equal(["a", "\uD800b"], Texts(p, "a\uD800b"));               // a lone surrogate acts as U+FFFD (not \p{L})
    }

    [Fact]
    public void Gpt2s_pattern_keeps_trailing_whitespace_apart_from_the_next_word()
    {
        var p = SplitPattern.FromRegex(SplitPattern.Gpt2);
        Assert.Equal(["Hello", "   ", " world", "\n\n"], Texts(p, "Hello    world\n\n"));
        Assert.Equal(["I", "'m", " 𝒜𝒷𝒸", "'s"], Texts(p, "I'm 𝒜𝒷𝒸's"));
        Assert.Equal(["He", "'", "S"], Texts(p, "He'S"));   // GPT-2's contractions are case-sensitive
    }

    private static List<string> Texts(SplitPattern p, string text) => p.Matches(text).Select(m => text[m.Start..m.End]).ToList();
}
