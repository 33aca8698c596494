using System.Text;
using Runner.Core.Tokenizers;

namespace Runner.Core.Tests.Tokenizers;

/// <summary>BPE merging, byte-level mapping, added tokens and decoding on hand-made vocabularies.</summary>
public sealed class BpeTokenizerTests : IDisposable
{
    private readonly TinyTokenizerFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static int Byte(char c) => c;   // ids 0..255 are the bytes themselves

    [Fact]
    public void The_lower_ranked_merge_wins_whatever_its_position_in_the_word()
    {
        // "abc": with "b c" ranked first the word becomes a + bc; with "a b" first, ab + c.
        var bcFirst = new TinyTokenizerFolder().WriteGpt2([("b", "c"), ("a", "b")]);
        var abFirst = new TinyTokenizerFolder().WriteGpt2([("a", "b"), ("b", "c")]);
        try
        {
            Assert.Equal([Byte('a'), 256], bcFirst.Load().Encode("abc"));
            Assert.Equal([256, Byte('c')], abFirst.Load().Encode("abc"));
        }
        finally
        {
            bcFirst.Dispose();
            abFirst.Dispose();
        }
    }

    [Fact]
    public void Equal_ranks_merge_leftmost_first_and_merged_tokens_merge_further()
    {
        // "aaa" with "a a": aa + a (leftmost); "aaaa": aa + aa, then "aa aa" -> aaaa.
        var t = _folder.WriteGpt2([("a", "a"), ("aa", "aa")]).Load();
        Assert.Equal([256, Byte('a')], t.Encode("aaa"));
        Assert.Equal([257], t.Encode("aaaa"));
        Assert.Equal([257, 256, Byte('a')], t.Encode("aaaaaaa"));
    }

    [Fact]
    public void Every_byte_falls_back_to_its_gpt2_byte_character()
    {
        var t = _folder.WriteGpt2([]).Load();
        var sb = new StringBuilder();
        for (int c = 0; c < 128; c++) sb.Append((char)c);
        sb.Append("é€😀ſ\u0085\uFFFD");
        var text = sb.ToString();
        var bytes = Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();
        Assert.Equal(bytes, t.Encode(text));
        Assert.Equal(text, t.Decode(bytes));
    }

    [Fact]
    public void The_byte_map_is_gpt2s()
    {
        Assert.Equal(256, ByteLevel.ByteToChar.Distinct().Count());
        Assert.Equal('Ġ', ByteLevel.ByteToChar[' ']);
        Assert.Equal('Ċ', ByteLevel.ByteToChar['\n']);
        Assert.Equal('ĉ', ByteLevel.ByteToChar['\t']);
        Assert.Equal('Ā', ByteLevel.ByteToChar[0]);
        Assert.Equal('A', ByteLevel.ByteToChar['A']);
        Assert.Equal('ÿ', ByteLevel.ByteToChar[0xFF]);
        Assert.Equal('Ń', ByteLevel.ByteToChar[0xAD]);   // the last of the 68 remapped bytes
    }

    [Fact]
    public void Invalid_utf8_decodes_to_replacement_characters()
    {
        var t = _folder.WriteGpt2([]).Load();
        Assert.Equal("\uFFFD", t.Decode([0xFF]));
        Assert.Equal("a\uFFFDb", t.Decode([Byte('a'), 0xE2, 0x82, Byte('b')]));   // a truncated "€"
        Assert.Equal("€", t.Decode([0xE2, 0x82, 0xAC]));
    }

    [Fact]
    public void Pieces_are_vocabulary_strings_and_an_unknown_id_is_an_error()
    {
        var t = _folder.WriteGpt2([("Ġ", "t"), ("Ġt", "h")]).Load();
        Assert.Equal([257], t.Encode(" th"));
        Assert.Equal("Ġth", t.Piece(257));
        Assert.Equal(258, t.VocabSize);
        var e = Assert.Throws<RunnerException>(() => t.Piece(258));
        Assert.Contains("token id 258 is not in the vocabulary", e.Message);
        Assert.Throws<RunnerException>(() => t.Piece(-1));
        Assert.Equal("", t.Decode([258, -5]));   // Hugging Face skips ids it does not know
    }

    [Fact]
    public void Special_tokens_are_split_out_before_pre_tokenization()
    {
        var vocab = TinyTokenizerFolder.Vocab([], "<|endoftext|>");   // id 256, GPT-2's default special token
        var t = _folder.WriteGpt2([], vocab).Load();
        Assert.Equal([Byte('a'), 256, Byte(' '), Byte('b')], t.Encode("a<|endoftext|> b"));
        Assert.Equal((256, 256, false), (t.BosId, t.EosId, t.AddsBosByDefault));
        Assert.True(t.IsSpecial(256));
        Assert.False(t.IsSpecial(Byte('a')));
        Assert.Equal("a<|endoftext|> b", t.Decode([Byte('a'), 256, Byte(' '), Byte('b')]));
        Assert.Equal("a b", t.Decode([Byte('a'), 256, Byte(' '), Byte('b')], skipSpecial: true));
    }

    [Fact]
    public void Added_tokens_from_tokenizer_config_match_longest_first_and_honor_strip_flags()
    {
        var vocab = TinyTokenizerFolder.Vocab([]);
        _folder.WriteGpt2([], vocab, tokenizerConfig: new Dictionary<string, object>
        {
            ["added_tokens_decoder"] = new Dictionary<string, object>
            {
                ["300"] = new { content = "<x>", special = true, lstrip = false, rstrip = false, single_word = false, normalized = false },
                ["301"] = new { content = "<x>>", special = true, lstrip = false, rstrip = false, single_word = false, normalized = false },
                ["302"] = new { content = "[S]", special = true, lstrip = true, rstrip = true, single_word = false, normalized = false },
                ["303"] = new { content = "w", special = false, lstrip = false, rstrip = false, single_word = true, normalized = false },
            },
            ["bos_token"] = "<x>",
            ["eos_token"] = new { content = "<x>>", __type = "AddedToken" },
            ["add_bos_token"] = true,
        });
        var t = _folder.Load();
        Assert.Equal([300, 301], t.Encode("<x><x>>"));
        Assert.Equal([Byte('a'), 302, Byte('b')], t.Encode("a  [S]  b"));
        Assert.Equal([303, Byte(' '), Byte('w'), Byte('w')], t.Encode("w ww"));   // single_word: not inside "ww"
        Assert.Equal((304, 300, 301, true), (t.VocabSize, t.BosId, t.EosId, t.AddsBosByDefault));
        Assert.False(t.IsSpecial(303));
    }

    [Fact]
    public void Repeated_encoding_of_the_same_words_gives_the_same_ids()
    {
        var t = _folder.WriteGpt2([("Ġ", "a"), ("Ġa", "b")]).Load();
        var first = t.Encode(" ab ab ab x ab");
        var again = Enumerable.Range(0, 3).Select(_ => t.Encode(" ab ab ab x ab")).ToList();
        Assert.All(again, ids => Assert.Equal(first, ids));
        Assert.Equal([257, 257, 257, Byte(' '), Byte('x'), 257], first);
    }
}
