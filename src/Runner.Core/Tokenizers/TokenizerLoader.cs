using System.Text.Json;

namespace Runner.Core.Tokenizers;

/// <summary>
/// Loads a byte-level BPE or word-level tokenizer from a Hugging Face model folder: <c>tokenizer.json</c> (the
/// tokenizers library format: GPT-2, Llama 3, Qwen, ...; a WordLevel model such as the planted corpus's) when present, else GPT-2's <c>vocab.json</c> + <c>merges.txt</c>
/// with special tokens from <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c> and <c>added_tokens.json</c>.
/// </summary>
public static partial class TokenizerLoader
{
    private const string TokenizerJson = "tokenizer.json";
    private const string VocabJson = "vocab.json";
    private const string MergesTxt = "merges.txt";
    private const string TokenizerConfig = "tokenizer_config.json";
    private const string SpecialTokensMap = "special_tokens_map.json";
    private const string AddedTokensJson = "added_tokens.json";
    private const string ModelConfig = "config.json";

    /// <summary>Loads the tokenizer in <paramref name="directory"/>.</summary>
    /// <exception cref="RunnerException">The folder has neither tokenizer.json nor vocab.json + merges.txt, a
    /// file is malformed (the message names the file and what is wrong), or it describes a tokenizer Runner
    /// does not support (neither byte-level BPE nor WordLevel).</exception>
    public static ITokenizer Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full)) throw new RunnerException($"{full}: no such tokenizer folder");
        if (File.Exists(Path.Combine(full, TokenizerJson))) return LoadTokenizerJson(full);
        if (File.Exists(Path.Combine(full, VocabJson)) && File.Exists(Path.Combine(full, MergesTxt))) return LoadGpt2Files(full);
        throw new RunnerException(
            $"{full}: no tokenizer found: looked for {TokenizerJson}, or {VocabJson} together with {MergesTxt}");
    }

    /// <summary>The JSON side files of a folder, each parsed when present.</summary>
    private sealed class SideFiles : IDisposable
    {
        public SideFiles(string folder)
        {
            Folder = folder;
            TokenizerConfig = ParseIfPresent(TokenizerLoader.TokenizerConfig);
            SpecialTokensMap = ParseIfPresent(TokenizerLoader.SpecialTokensMap);
            ModelConfig = ParseIfPresent(TokenizerLoader.ModelConfig);
        }

        public string Folder { get; }
        public JsonDocument? TokenizerConfig { get; }
        public JsonDocument? SpecialTokensMap { get; }
        public JsonDocument? ModelConfig { get; }

        public string PathOf(string file) => Path.Combine(Folder, file);

        private JsonDocument? ParseIfPresent(string file) => File.Exists(PathOf(file)) ? JsonFile.Parse(PathOf(file)) : null;

        public void Dispose()
        {
            TokenizerConfig?.Dispose();
            SpecialTokensMap?.Dispose();
            ModelConfig?.Dispose();
        }

        /// <summary>The token named by <paramref name="key"/> (e.g. "bos_token") in tokenizer_config.json, else
        /// special_tokens_map.json. Found is false when neither file has the key; Token is null for an explicit null.</summary>
        public (bool Found, string? Token, string File) NamedToken(string key)
        {
            foreach (var (doc, file) in new[] { (TokenizerConfig, TokenizerLoader.TokenizerConfig), (SpecialTokensMap, TokenizerLoader.SpecialTokensMap) })
            {
                if (doc is null || !doc.RootElement.TryGetProperty(key, out var v)) continue;
                return (true, TokenContent(v, PathOf(file), key), PathOf(file));
            }
            return (false, null, "");
        }

        /// <summary>config.json's <paramref name="key"/> (e.g. "bos_token_id") when it is a single id.</summary>
        public int? ModelConfigId(string key)
        {
            if (ModelConfig is null || JsonFile.Member(ModelConfig.RootElement, key) is not { } v) return null;
            // Some configs list several EOS ids; the first is the one generation stops on by default.
            if (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() > 0) v = v[0];
            return JsonFile.Id(v, PathOf(TokenizerLoader.ModelConfig), key);
        }
    }

    /// <summary>A special-token entry: a string, an object with "content" (an AddedToken), or null.</summary>
    private static string? TokenContent(JsonElement v, string file, string key) => v.ValueKind switch
    {
        JsonValueKind.Null => null,
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Object => JsonFile.RequireString(v, "content", file, key),
        _ => throw new RunnerException($"{file}: {key}: expected a token (a string or an object with \"content\"), found {JsonFile.Describe(v)}"),
    };

    /// <summary>BOS/EOS and whether a BOS is added by default, from the side files, the post-processor
    /// template (<paramref name="template"/>) and the fallbacks, in the order Hugging Face applies them.</summary>
    private static (int? Bos, int? Eos, bool AddsBos) ResolveBosEos(SideFiles side, Func<string, int?> idOf,
        PostProcessorInfo template, string? defaultToken)
    {
        int? Resolve(string key, int? fromTemplate, string idKey)
        {
            var (found, token, file) = side.NamedToken(key);
            if (found)
            {
                if (token is null) return null;
                return idOf(token) ?? throw new RunnerException($"{file}: {key}: \"{token}\" is neither in the vocabulary nor an added token");
            }
            if (fromTemplate is int t) return t;
            if (side.ModelConfigId(idKey) is int c) return c;
            return defaultToken is not null ? idOf(defaultToken) : null;
        }
        int? bos = Resolve("bos_token", template.Bos, "bos_token_id");
        int? eos = Resolve("eos_token", template.Eos, "eos_token_id");

        bool addsBos = template.Bos is not null;
        if (side.TokenizerConfig is { } config && JsonFile.Member(config.RootElement, "add_bos_token") is not null)
            addsBos = JsonFile.OptionalBool(config.RootElement, "add_bos_token", false, side.PathOf(TokenizerConfig), "tokenizer_config");
        if (addsBos && bos is null) bos = template.Bos;
        if (addsBos && bos is null)
            throw new RunnerException($"{side.PathOf(TokenizerConfig)}: add_bos_token is true but the tokenizer has no bos_token");
        return (bos, eos, addsBos);
    }

    /// <summary>What the post-processor adds around a single sequence.</summary>
    private readonly record struct PostProcessorInfo(int? Bos, int? Eos);
}
