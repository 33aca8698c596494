using System.Text.Json;

namespace Runner.Core.Tokenizers;

public static partial class TokenizerLoader
{
    // GPT2Tokenizer's defaults for unk, bos and eos.
    private const string Gpt2EndOfText = "<|endoftext|>";

    private static readonly string[] SpecialTokenKeys = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    // vocab.json + merges.txt, read as transformers' GPT2Tokenizer does: GPT-2's pre-tokenizer regex and
    // byte-level map, special tokens registered as added tokens so their text maps to their id.
    private static ITokenizer LoadGpt2Files(string folder)
    {
        var vocabFile = Path.Combine(folder, VocabJson);
        Dictionary<string, int> vocab;
        using (var doc = JsonFile.Parse(vocabFile)) vocab = JsonFile.Vocab(doc.RootElement, vocabFile, "vocabulary");
        var mergesFile = Path.Combine(folder, MergesTxt);
        var merges = ReadMergesTxt(mergesFile);
        using var side = new SideFiles(folder);

        var added = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        var addedTokensFile = side.PathOf(AddedTokensJson);
        var extraIds = new Dictionary<string, int>(StringComparer.Ordinal);
        if (File.Exists(addedTokensFile))
        {
            using var doc = JsonFile.Parse(addedTokensFile);
            foreach (var (token, id) in JsonFile.Vocab(doc.RootElement, addedTokensFile, "added token"))
            {
                extraIds[token] = id;
                added[token] = new AddedToken(id, token, Special: false, Normalized: true);
            }
        }
        int? IdOf(string token) => extraIds.TryGetValue(token, out int a) ? a : vocab.TryGetValue(token, out int v) ? v : null;

        // tokenizer_config.json's added_tokens_decoder: {"50256": {"content": "<|endoftext|>", "special": true, ...}}.
        if (side.TokenizerConfig is { } config && JsonFile.Member(config.RootElement, "added_tokens_decoder") is { } decoder)
        {
            var file = side.PathOf(TokenizerConfig);
            foreach (var p in JsonFile.Expect(decoder, JsonValueKind.Object, file, "added_tokens_decoder").EnumerateObject())
            {
                var path = $"added_tokens_decoder[\"{p.Name}\"]";
                if (!int.TryParse(p.Name, out int id) || id < 0) throw new RunnerException($"{file}: {path}: the key must be a token id");
                JsonFile.Expect(p.Value, JsonValueKind.Object, file, path);
                var content = JsonFile.RequireString(p.Value, "content", file, path);
                bool special = JsonFile.OptionalBool(p.Value, "special", false, file, path);
                added[content] = new AddedToken(id, content, special,
                    JsonFile.OptionalBool(p.Value, "lstrip", false, file, path), JsonFile.OptionalBool(p.Value, "rstrip", false, file, path),
                    JsonFile.OptionalBool(p.Value, "single_word", false, file, path), JsonFile.OptionalBool(p.Value, "normalized", !special, file, path));
                extraIds[content] = id;
            }
        }

        // Named special tokens (and GPT-2's defaults when a folder names none) are special added tokens.
        void AddSpecial(string token, string file, string key)
        {
            if (added.TryGetValue(token, out var existing))
            {
                added[token] = existing with { Special = true };
                return;
            }
            int id = IdOf(token) ?? throw new RunnerException($"{file}: {key}: \"{token}\" is neither in {VocabJson} nor an added token");
            added[token] = new AddedToken(id, token, Special: true);
        }
        foreach (var key in SpecialTokenKeys)
        {
            var (found, token, file) = side.NamedToken(key);
            if (found && token is not null) AddSpecial(token, file, key);
            else if (!found && key is "bos_token" or "eos_token" or "unk_token" && IdOf(Gpt2EndOfText) is not null)
                AddSpecial(Gpt2EndOfText, vocabFile, key);
        }
        foreach (var (doc, name) in new[] { (side.TokenizerConfig, TokenizerConfig), (side.SpecialTokensMap, SpecialTokensMap) })
        {
            if (doc is null || JsonFile.Member(doc.RootElement, "additional_special_tokens") is not { } list) continue;
            var file = side.PathOf(name);
            int i = 0;
            foreach (var item in JsonFile.Expect(list, JsonValueKind.Array, file, "additional_special_tokens").EnumerateArray())
            {
                var key = $"additional_special_tokens[{i++}]";
                if (TokenContent(item, file, key) is { } token) AddSpecial(token, file, key);
            }
        }

        BpeModel model;
        try { model = new BpeModel(vocab, merges, ignoreMerges: false, unkToken: null); }
        catch (ArgumentException e) { throw new RunnerException($"{mergesFile}: {e.Message}", inner: e); }

        bool addPrefixSpace = side.TokenizerConfig is { } c &&
            JsonFile.OptionalBool(c.RootElement, "add_prefix_space", false, side.PathOf(TokenizerConfig), "tokenizer_config");
        var steps = new PreTokenizerStep[] { new ByteLevelStep(addPrefixSpace, useRegex: true) };
        var (bos, eos, addsBos) = ResolveBosEos(side, IdOf, default, IdOf(Gpt2EndOfText) is null ? null : Gpt2EndOfText);
        return new ByteLevelBpeTokenizer(model, normalize: null, steps, [.. added.Values], bos, eos, addsBos);
    }

    // merges.txt: an optional "#version" line, then one "left right" pair per line in rank order.
    private static List<(string, string)> ReadMergesTxt(string file)
    {
        string[] lines;
        try { lines = File.ReadAllLines(file); }
        catch (IOException e) { throw new RunnerException($"{file}: cannot read: {e.Message}", inner: e); }
        var merges = new List<(string, string)>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            if (line.Split(' ') is not [{ Length: > 0 } a, { Length: > 0 } b])
                throw new RunnerException($"{file}: line {i + 1}: expected two tokens separated by one space, found \"{(line.Length > 60 ? line[..60] + "..." : line)}\"");
            merges.Add((a, b));
        }
        return merges;
    }
}
