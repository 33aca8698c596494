using System.Text.Json;

namespace Runner.Core.Tokenizers;

public static partial class TokenizerLoader
{
    private static ITokenizer LoadTokenizerJson(string folder)
    {
        var file = Path.Combine(folder, TokenizerJson);
        using var doc = JsonFile.Parse(file);
        using var side = new SideFiles(folder);
        var root = doc.RootElement;

        var modelElement = JsonFile.Member(root, "model") is { } m ? JsonFile.Expect(m, JsonValueKind.Object, file, "model")
            : throw new RunnerException($"{file}: model: missing");
        var type = JsonFile.OptionalString(modelElement, "type", file, "model");
        var wordLevel = type == "WordLevel";
        var vocab = wordLevel ? ReadWordLevelVocab(modelElement, file) : null;
        var model = wordLevel ? null : ReadBpeModel(modelElement, file);
        var added = ReadAddedTokens(root, file);
        var normalize = ReadNormalizer(JsonFile.Member(root, "normalizer"), file, "normalizer");
        var steps = new List<PreTokenizerStep>();
        ReadPreTokenizer(JsonFile.Member(root, "pre_tokenizer"), file, "pre_tokenizer", steps);
        if (wordLevel && steps.Any(s => s is ByteLevelStep))
            throw new RunnerException($"{file}: pre_tokenizer: a ByteLevel step is not supported with a WordLevel model (supported: WhitespaceSplit, Whitespace, Split)");
        if (!wordLevel && !steps.Any(s => s is ByteLevelStep))
            throw new RunnerException($"{file}: pre_tokenizer: has no ByteLevel step; Runner supports byte-level BPE and WordLevel tokenizers only");
        // Without a decoder, tokenizers joins the tokens with spaces: that is what WordLevelTokenizer.Decode does.
        if (wordLevel && JsonFile.Member(root, "decoder") is { } decoder)
            throw new RunnerException($"{file}: decoder: {JsonFile.Describe(decoder)} is not supported with a WordLevel model (expected null: words are joined with spaces)");
        var template = ReadPostProcessor(JsonFile.Member(root, "post_processor"), file, "post_processor");

        var modelVocab = vocab ?? model!.Vocab;
        var addedByContent = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in added) addedByContent[t.Content] = t.Id;
        int? IdOf(string token) => addedByContent.TryGetValue(token, out int a) ? a : modelVocab.TryGetValue(token, out int v) ? v : null;
        var (bos, eos, addsBos) = ResolveBosEos(side, IdOf, template, defaultToken: null);
        return wordLevel
            ? new WordLevelTokenizer(vocab!, JsonFile.OptionalString(modelElement, "unk_token", file, "model") ?? DefaultWordLevelUnk,
                normalize, steps, added, bos, eos, addsBos)
            : new ByteLevelBpeTokenizer(model!, normalize, steps, added, bos, eos, addsBos);
    }

    // tokenizers' WordLevel default unk_token.
    private const string DefaultWordLevelUnk = "<unk>";

    // {"type": "WordLevel", "vocab": {"word": id, ...}, "unk_token": "<unk>"}
    private static Dictionary<string, int> ReadWordLevelVocab(JsonElement model, string file)
    {
        var vocab = JsonFile.Vocab(JsonFile.Member(model, "vocab") ?? throw new RunnerException($"{file}: model.vocab: missing"), file, "model.vocab");
        var byId = new Dictionary<int, string>();
        foreach (var (word, id) in vocab)
            if (!byId.TryAdd(id, word))
                throw new RunnerException($"{file}: model.vocab: \"{word}\" and \"{byId[id]}\" both have id {id}");
        return vocab;
    }

    private static BpeModel ReadBpeModel(JsonElement model, string file)
    {
        var type = JsonFile.OptionalString(model, "type", file, "model");
        if (type is not null && type != "BPE")
            throw new RunnerException($"{file}: model.type: \"{type}\" is not supported (supported: BPE (byte-level), WordLevel)");
        foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (JsonFile.OptionalString(model, key, file, "model") is { Length: > 0 } affix)
                throw new RunnerException($"{file}: model.{key}: \"{affix}\" is not supported (byte-level BPE uses none)");
        if (JsonFile.OptionalBool(model, "byte_fallback", false, file, "model"))
            throw new RunnerException($"{file}: model.byte_fallback: true is not supported (byte-level BPE needs no byte fallback)");

        var vocab = JsonFile.Vocab(JsonFile.Member(model, "vocab") ?? throw new RunnerException($"{file}: model.vocab: missing"), file, "model.vocab");
        var mergesElement = JsonFile.Expect(JsonFile.Member(model, "merges") ?? throw new RunnerException($"{file}: model.merges: missing"),
            JsonValueKind.Array, file, "model.merges");
        var merges = new List<(string, string)>(mergesElement.GetArrayLength());
        int i = 0;
        foreach (var e in mergesElement.EnumerateArray())
        {
            // Two forms: "a b" (tokenizers < 0.20) and ["a", "b"] (newer files, Qwen's).
            if (e.ValueKind == JsonValueKind.String && e.GetString()!.Split(' ') is [var a, var b]) merges.Add((a, b));
            else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 2 && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String)
                merges.Add((e[0].GetString()!, e[1].GetString()!));
            else throw new RunnerException($"{file}: model.merges[{i}]: expected \"left right\" or [\"left\", \"right\"], found {JsonFile.Describe(e)}");
            i++;
        }
        try
        {
            return new BpeModel(vocab, merges, JsonFile.OptionalBool(model, "ignore_merges", false, file, "model"),
                JsonFile.OptionalString(model, "unk_token", file, "model"));
        }
        catch (ArgumentException e)
        {
            throw new RunnerException($"{file}: model: {e.Message}", inner: e);
        }
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root, string file)
    {
        var result = new List<AddedToken>();
        if (JsonFile.Member(root, "added_tokens") is not { } list) return result;
        int i = 0;
        foreach (var t in JsonFile.Expect(list, JsonValueKind.Array, file, "added_tokens").EnumerateArray())
        {
            var path = $"added_tokens[{i++}]";
            JsonFile.Expect(t, JsonValueKind.Object, file, path);
            bool special = JsonFile.OptionalBool(t, "special", false, file, path);
            result.Add(new AddedToken(
                JsonFile.RequireId(t, "id", file, path),
                JsonFile.RequireString(t, "content", file, path),
                special,
                JsonFile.OptionalBool(t, "lstrip", false, file, path),
                JsonFile.OptionalBool(t, "rstrip", false, file, path),
                JsonFile.OptionalBool(t, "single_word", false, file, path),
                JsonFile.OptionalBool(t, "normalized", !special, file, path)));
        }
        return result;
    }

    private static Func<string, string>? ReadNormalizer(JsonElement? element, string file, string path)
    {
        if (element is not { } n) return null;
        JsonFile.Expect(n, JsonValueKind.Object, file, path);
        var type = JsonFile.RequireString(n, "type", file, path);
        switch (type)
        {
            case "NFC": return UnicodeNormalizer.Nfc;
            case "NFD": return UnicodeNormalizer.Nfd;
            case "Sequence":
                var parts = new List<Func<string, string>>();
                var list = JsonFile.Expect(JsonFile.Member(n, "normalizers") ?? throw new RunnerException($"{file}: {path}.normalizers: missing"),
                    JsonValueKind.Array, file, $"{path}.normalizers");
                int i = 0;
                foreach (var item in list.EnumerateArray())
                    if (ReadNormalizer(item, file, $"{path}.normalizers[{i++}]") is { } f) parts.Add(f);
                return parts.Count == 0 ? null : s => parts.Aggregate(s, (acc, f) => f(acc));
            default:
                throw new RunnerException($"{file}: {path}.type: normalizer \"{type}\" is not supported (supported: NFC, NFD, Sequence)");
        }
    }

    private static void ReadPreTokenizer(JsonElement? element, string file, string path, List<PreTokenizerStep> steps)
    {
        if (element is not { } p) return;
        JsonFile.Expect(p, JsonValueKind.Object, file, path);
        var type = JsonFile.RequireString(p, "type", file, path);
        switch (type)
        {
            case "Sequence":
                var list = JsonFile.Expect(JsonFile.Member(p, "pretokenizers") ?? throw new RunnerException($"{file}: {path}.pretokenizers: missing"),
                    JsonValueKind.Array, file, $"{path}.pretokenizers");
                int i = 0;
                foreach (var item in list.EnumerateArray()) ReadPreTokenizer(item, file, $"{path}.pretokenizers[{i++}]", steps);
                break;
            case "ByteLevel":
                steps.Add(new ByteLevelStep(JsonFile.OptionalBool(p, "add_prefix_space", true, file, path),
                    JsonFile.OptionalBool(p, "use_regex", true, file, path)));
                break;
            case "Split":
                steps.Add(ReadSplit(p, file, path));
                break;
            case "WhitespaceSplit":
                steps.Add(new WhitespaceSplitStep());
                break;
            case "Whitespace":
                steps.Add(WhitespaceStep.Instance);
                break;
            default:
                throw new RunnerException($"{file}: {path}.type: pre-tokenizer \"{type}\" is not supported (supported: Sequence, Split, ByteLevel, WhitespaceSplit, Whitespace)");
        }
    }

    private static SplitStep ReadSplit(JsonElement p, string file, string path)
    {
        var pattern = JsonFile.Expect(JsonFile.Member(p, "pattern") ?? throw new RunnerException($"{file}: {path}.pattern: missing"),
            JsonValueKind.Object, file, $"{path}.pattern");
        SplitPattern compiled;
        if (JsonFile.OptionalString(pattern, "Regex", file, $"{path}.pattern") is { } regex)
        {
            try { compiled = SplitPattern.FromRegex(regex); }
            catch (ArgumentException e)
            {
                throw new RunnerException($"{file}: {path}.pattern.Regex: .NET cannot compile \"{regex}\": {e.Message}", inner: e);
            }
        }
        else if (JsonFile.OptionalString(pattern, "String", file, $"{path}.pattern") is { } literal) compiled = SplitPattern.FromLiteral(literal);
        else throw new RunnerException($"{file}: {path}.pattern: expected {{\"Regex\": ...}} or {{\"String\": ...}}");

        var behaviorName = JsonFile.RequireString(p, "behavior", file, path);
        if (!Enum.TryParse<SplitBehavior>(behaviorName, ignoreCase: false, out var behavior) || !Enum.IsDefined(behavior))
            throw new RunnerException($"{file}: {path}.behavior: \"{behaviorName}\" is not one of {string.Join(", ", Enum.GetNames<SplitBehavior>())}");
        return new SplitStep(compiled, behavior, JsonFile.OptionalBool(p, "invert", false, file, path));
    }

    private static PostProcessorInfo ReadPostProcessor(JsonElement? element, string file, string path)
    {
        if (element is not { } p) return default;
        JsonFile.Expect(p, JsonValueKind.Object, file, path);
        var type = JsonFile.RequireString(p, "type", file, path);
        switch (type)
        {
            case "ByteLevel":
                return default;
            case "Sequence":
                var list = JsonFile.Expect(JsonFile.Member(p, "processors") ?? throw new RunnerException($"{file}: {path}.processors: missing"),
                    JsonValueKind.Array, file, $"{path}.processors");
                var info = default(PostProcessorInfo);
                int i = 0;
                foreach (var item in list.EnumerateArray())
                {
                    var inner = ReadPostProcessor(item, file, $"{path}.processors[{i++}]");
                    info = new PostProcessorInfo(inner.Bos ?? info.Bos, inner.Eos ?? info.Eos);
                }
                return info;
            case "TemplateProcessing":
                return ReadTemplate(p, file, path);
            case "RobertaProcessing" or "BertProcessing":
                // cls: ["<s>", 0], sep: ["</s>", 2]: "<s> $A </s>".
                int? Part(string key) => JsonFile.Member(p, key) is { ValueKind: JsonValueKind.Array } a && a.GetArrayLength() == 2
                    ? JsonFile.Id(a[1], file, $"{path}.{key}[1]")
                    : throw new RunnerException($"{file}: {path}.{key}: expected [token, id]");
                return new PostProcessorInfo(Part("cls"), Part("sep"));
            default:
                throw new RunnerException($"{file}: {path}.type: post-processor \"{type}\" is not supported (supported: ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing, Sequence)");
        }
    }

    // single: [{"SpecialToken": {"id": "<|begin_of_text|>"}}, {"Sequence": {"id": "A"}}]; the special token's
    // id comes from special_tokens["<|begin_of_text|>"].ids[0].
    private static PostProcessorInfo ReadTemplate(JsonElement p, string file, string path)
    {
        var single = JsonFile.Member(p, "single") is { } s ? JsonFile.Expect(s, JsonValueKind.Array, file, $"{path}.single") : default;
        if (single.ValueKind != JsonValueKind.Array) return default;
        var specials = JsonFile.Member(p, "special_tokens");
        int? IdOf(string name, string where)
        {
            if (specials is not { ValueKind: JsonValueKind.Object } map || JsonFile.Member(map, name) is not { } entry
                || JsonFile.Member(entry, "ids") is not { ValueKind: JsonValueKind.Array } ids || ids.GetArrayLength() == 0)
                throw new RunnerException($"{file}: {where}: special token \"{name}\" has no ids in {path}.special_tokens");
            return JsonFile.Id(ids[0], file, $"{path}.special_tokens[\"{name}\"].ids[0]");
        }
        int? bos = null, eos = null;
        bool seenSequence = false;
        int i = 0;
        foreach (var item in single.EnumerateArray())
        {
            var where = $"{path}.single[{i++}]";
            if (JsonFile.Member(item, "Sequence") is not null) seenSequence = true;
            else if (JsonFile.Member(item, "SpecialToken") is { } tok)
            {
                var id = IdOf(JsonFile.RequireString(tok, "id", file, $"{where}.SpecialToken"), where);
                if (!seenSequence) bos ??= id;
                else eos ??= id;
            }
            else throw new RunnerException($"{file}: {where}: expected {{\"Sequence\": ...}} or {{\"SpecialToken\": ...}}");
        }
        return new PostProcessorInfo(bos, eos);
    }
}
