using Runner.Core.Tokenizers;

namespace Runner.Core.Tests.Tokenizers;

/// <summary>Malformed or unsupported tokenizer folders fail with a RunnerException naming the file and the problem.</summary>
public sealed class TokenizerLoaderErrorTests : IDisposable
{
    private readonly TinyTokenizerFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private RunnerException LoadFails() => Assert.Throws<RunnerException>(() => _folder.Load());

    [Fact]
    public void A_folder_without_tokenizer_files_names_the_files_looked_for()
    {
        File.WriteAllText(_folder["vocab.json"], "{}");   // vocab.json alone is not enough
        var e = LoadFails();
        Assert.Contains(_folder.Path, e.Message);
        Assert.Contains("tokenizer.json", e.Message);
        Assert.Contains("vocab.json together with merges.txt", e.Message);
    }

    [Fact]
    public void Invalid_json_in_vocab_json_is_an_error_naming_the_file()
    {
        _folder.WriteGpt2([]);
        File.WriteAllText(_folder["vocab.json"], "{\"a\": 1,");
        Assert.Contains($"{_folder["vocab.json"]}: not valid JSON", LoadFails().Message);
    }

    [Fact]
    public void A_non_integer_id_in_vocab_json_names_the_token()
    {
        _folder.WriteGpt2([]);
        File.WriteAllText(_folder["vocab.json"], "{\"a\": \"one\"}");
        var e = LoadFails();
        Assert.Contains(_folder["vocab.json"], e.Message);
        Assert.Contains("vocabulary[\"a\"]: expected a token id (an integer >= 0), found the string \"one\"", e.Message);
    }

    [Fact]
    public void A_merges_line_without_two_tokens_names_the_file_and_line()
    {
        _folder.WriteGpt2([("a", "b")]);
        File.AppendAllText(_folder["merges.txt"], "a b c\n");
        var e = LoadFails();
        Assert.Contains($"{_folder["merges.txt"]}: line 3: expected two tokens separated by one space, found \"a b c\"", e.Message);
    }

    [Fact]
    public void A_merge_of_tokens_outside_the_vocabulary_is_an_error_naming_the_merge()
    {
        _folder.WriteGpt2([("a", "b")], TinyTokenizerFolder.Vocab([]));   // "ab" is missing
        var e = LoadFails();
        Assert.Contains(_folder["merges.txt"], e.Message);
        Assert.Contains("merge 0 (\"a b\"): the merged token \"ab\" is not in the vocabulary", e.Message);
    }

    [Fact]
    public void A_tokenizer_json_of_another_model_type_is_rejected_by_name()
    {
        _folder.WriteTokenizerJson([], d => ((Dictionary<string, object?>)d["model"]!)["type"] = "WordPiece");
        Assert.Contains($"{_folder["tokenizer.json"]}: model.type: \"WordPiece\" is not supported", LoadFails().Message);
    }

    [Fact]
    public void A_tokenizer_json_without_byte_level_pre_tokenization_is_rejected()
    {
        _folder.WriteTokenizerJson([], d => d["pre_tokenizer"] = new { type = "Split", pattern = new { String = " " }, behavior = "Removed", invert = false });
        Assert.Contains("pre_tokenizer: has no ByteLevel step", LoadFails().Message);
    }

    [Fact]
    public void A_regex_dotnet_cannot_compile_names_the_pattern()
    {
        _folder.WriteTokenizerJson([], d => d["pre_tokenizer"] = new
        {
            type = "Sequence",
            pretokenizers = new object[] { new { type = "Split", pattern = new { Regex = "(unclosed" }, behavior = "Isolated", invert = false }, new { type = "ByteLevel" } },
        });
        var e = LoadFails();
        Assert.Contains($"{_folder["tokenizer.json"]}: pre_tokenizer.pretokenizers[0].pattern.Regex: .NET cannot compile \"(unclosed\"", e.Message);
    }

    [Fact]
    public void An_unknown_split_behavior_lists_the_known_ones()
    {
        _folder.WriteTokenizerJson([], d => d["pre_tokenizer"] = new
        {
            type = "Sequence",
            pretokenizers = new object[] { new { type = "Split", pattern = new { String = "x" }, behavior = "Sideways", invert = false }, new { type = "ByteLevel" } },
        });
        Assert.Contains("behavior: \"Sideways\" is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous", LoadFails().Message);
    }

    [Fact]
    public void An_unsupported_normalizer_is_named()
    {
        _folder.WriteTokenizerJson([], d => d["normalizer"] = new { type = "Sequence", normalizers = new object[] { new { type = "NFC" }, new { type = "Lowercase" } } });
        Assert.Contains("normalizer.normalizers[1].type: normalizer \"Lowercase\" is not supported", LoadFails().Message);
    }

    [Fact]
    public void A_malformed_merge_entry_names_its_index()
    {
        _folder.WriteTokenizerJson([], d => ((Dictionary<string, object?>)d["model"]!)["merges"] = new object[] { "a b", new[] { "a" } });
        Assert.Contains("model.merges[1]: expected \"left right\" or [\"left\", \"right\"], found an array", LoadFails().Message);
    }

    [Fact]
    public void A_bos_token_that_is_not_in_the_vocabulary_names_the_config_file()
    {
        _folder.WriteTokenizerJson([]).WriteJson("tokenizer_config.json", new { bos_token = "<nope>" });
        Assert.Contains($"{_folder["tokenizer_config.json"]}: bos_token: \"<nope>\" is neither in the vocabulary nor an added token", LoadFails().Message);
    }

    [Fact]
    public void A_top_level_array_is_not_a_tokenizer_json()
    {
        File.WriteAllText(_folder["tokenizer.json"], "[1, 2]");
        Assert.Contains($"{_folder["tokenizer.json"]}: expected a JSON object at the top level, found an array", LoadFails().Message);
    }
}
