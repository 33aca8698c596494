using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Core.Data.Planted;

/// <summary>
/// Writes the planted corpus's word-level tokenizer as Hugging Face files, so a model trained on the
/// corpus is a complete model folder (<c>TokenizerLoader.Load</c>, transformers' AutoTokenizer):
/// <list type="bullet">
/// <item><c>tokenizer.json</c>: a WordLevel model over the vocabulary's ids, a WhitespaceSplit pre-tokenizer,
/// <c>&lt;doc&gt;</c> as a special added token, no normalizer, post-processor or decoder (decoding joins the
/// words with single spaces). Its unk_token <c>&lt;unk&gt;</c> is not in the vocabulary, so an unknown word is
/// an error, as in <see cref="PlantedVocabulary.Encode"/>, rather than a silent substitute.</item>
/// <item><c>tokenizer_config.json</c>: bos_token <c>&lt;doc&gt;</c>; eos_token null, because the corpus is a stream
/// of documents that a generation should run through rather than stop at; no BOS added by the tokenizer;
/// clean_up_tokenization_spaces false (transformers would otherwise glue " ." to the previous word).</item>
/// <item><c>planted_vocab.json</c>: the vocabulary itself with its topics (<see cref="PlantedVocabulary.Save"/>).</item>
/// </list>
/// </summary>
public static class PlantedTokenizerFiles
{
    /// <summary>The vocabulary file written next to the tokenizer.</summary>
    public const string VocabFileName = "planted_vocab.json";

    /// <summary>The unk_token named in tokenizer.json (deliberately not a word of the vocabulary).</summary>
    public const string UnkToken = "<unk>";

    /// <summary>
    /// Writes tokenizer.json, tokenizer_config.json and planted_vocab.json into <paramref name="directory"/>
    /// (created when missing; each file through a temporary name). <see cref="RunnerException"/> on an I/O error.
    /// </summary>
    public static void Write(string directory, PlantedVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var dir = Path.GetFullPath(directory);
        try
        {
            Directory.CreateDirectory(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"cannot create tokenizer folder '{dir}': {e.Message}", 1, e);
        }
        WriteJson(Path.Combine(dir, "tokenizer.json"), TokenizerJson(vocabulary));
        WriteJson(Path.Combine(dir, "tokenizer_config.json"), TokenizerConfig());
        vocabulary.Save(Path.Combine(dir, VocabFileName));
    }

    private static JsonObject TokenizerJson(PlantedVocabulary vocabulary)
    {
        var vocab = new JsonObject();
        for (var id = 0; id < vocabulary.Count; id++) vocab[vocabulary.Word(id)] = id;
        return new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(new JsonObject
            {
                ["id"] = vocabulary.DocId,
                ["content"] = PlantedLexicon.Doc,
                ["single_word"] = false,
                ["lstrip"] = false,
                ["rstrip"] = false,
                ["normalized"] = false,
                ["special"] = true,
            }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "WhitespaceSplit" },
            ["post_processor"] = null,
            ["decoder"] = null,
            ["model"] = new JsonObject { ["type"] = "WordLevel", ["vocab"] = vocab, ["unk_token"] = UnkToken },
        };
    }

    private static JsonObject TokenizerConfig() => new()
    {
        ["tokenizer_class"] = "PreTrainedTokenizerFast",
        ["bos_token"] = PlantedLexicon.Doc,
        ["eos_token"] = null,
        ["unk_token"] = null,
        ["pad_token"] = null,
        ["add_bos_token"] = false,
        ["add_eos_token"] = false,
        ["clean_up_tokenization_spaces"] = false,
    };

    private static void WriteJson(string path, JsonObject content)
    {
        var json = content.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        var temp = path + ".tmp";
        try
        {
            File.WriteAllText(temp, json);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"cannot write '{path}': {e.Message}", 1, e);
        }
    }
}
