using System.Text.Json.Nodes;
using Runner.Core.Data.Planted;
using Runner.Core.Tests.IO;
using Runner.Core.Tokenizers;

namespace Runner.Core.Tests.Planted;

public sealed class PlantedTokenizerFilesTests : IDisposable
{
    private static readonly PlantedVocabulary Vocabulary = PlantedVocabulary.Create();
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private ITokenizer WriteAndLoad()
    {
        PlantedTokenizerFiles.Write(_dir["model"], Vocabulary);
        return TokenizerLoader.Load(_dir["model"]);
    }

    [Fact]
    public void The_loaded_tokenizer_encodes_and_decodes_generated_documents_as_the_vocabulary_does()
    {
        var tokenizer = WriteAndLoad();
        var corpus = new PlantedCorpus(Vocabulary, new PlantedCorpusOptions { Seed = 11 });
        foreach (var document in corpus.Documents().Take(200))
        {
            var text = Vocabulary.Decode(document.Ids);
            Assert.Equal(document.Ids, tokenizer.Encode(text));
            Assert.Equal(text, tokenizer.Decode(document.Ids));
        }
        var (stream, _) = corpus.Generate(20_000);
        var all = Vocabulary.Decode(stream);
        Assert.Equal(stream, tokenizer.Encode(all));
        Assert.Equal(all, tokenizer.Decode(stream));
    }

    [Fact]
    public void Doc_is_the_special_bos_and_there_is_no_eos_so_generation_runs_through_documents()
    {
        var tokenizer = WriteAndLoad();
        Assert.Equal(Vocabulary.DocId, tokenizer.BosId);
        Assert.Null(tokenizer.EosId);
        Assert.False(tokenizer.AddsBosByDefault);
        Assert.True(tokenizer.IsSpecial(Vocabulary.DocId));
        Assert.Equal(Vocabulary.Count, tokenizer.VocabSize);
        for (var id = 0; id < Vocabulary.Count; id++) Assert.Equal(Vocabulary.Word(id), tokenizer.Piece(id));
        Assert.Equal("the bridge", tokenizer.Decode([Vocabulary.DocId, Vocabulary.WordId("the"), Vocabulary.WordId("bridge")], skipSpecial: true));
    }

    [Fact]
    public void An_unknown_word_is_an_error_rather_than_a_silent_unk()
    {
        var e = Assert.Throws<RunnerException>(() => WriteAndLoad().Encode("the tunnel"));
        Assert.Contains("'tunnel' is not in the tokenizer's vocabulary", e.Message);
    }

    [Fact]
    public void The_folder_holds_the_hugging_face_files_and_the_vocabulary_with_its_topics()
    {
        PlantedTokenizerFiles.Write(_dir["model"], Vocabulary);
        var json = JsonNode.Parse(File.ReadAllText(_dir["model/tokenizer.json"]))!;
        Assert.Equal("WordLevel", (string?)json["model"]!["type"]);
        Assert.Equal("WhitespaceSplit", (string?)json["pre_tokenizer"]!["type"]);
        Assert.Null(json["decoder"]);
        var config = JsonNode.Parse(File.ReadAllText(_dir["model/tokenizer_config.json"]))!;
        Assert.Equal("<doc>", (string?)config["bos_token"]);
        Assert.False((bool)config["clean_up_tokenization_spaces"]!);
        var loaded = PlantedVocabulary.Load(_dir["model/" + PlantedTokenizerFiles.VocabFileName]);
        Assert.Equal(Vocabulary.Words, loaded.Words);
        Assert.Equal(Vocabulary.Topics, loaded.Topics);
        Assert.Empty(Directory.GetFiles(_dir["model"], "*.tmp"));
    }
}
