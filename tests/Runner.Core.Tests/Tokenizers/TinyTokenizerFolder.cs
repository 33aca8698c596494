using System.Text;
using System.Text.Json;
using Runner.Core.Tests.IO;
using Runner.Core.Tokenizers;

namespace Runner.Core.Tests.Tokenizers;

/// <summary>Writes tiny tokenizer folders: the 256 GPT-2 byte characters (id = byte value) plus merges.</summary>
internal sealed class TinyTokenizerFolder : IDisposable
{
    private readonly TempFolder _dir = new();

    public string Path => _dir.Path;

    public string this[string file] => _dir[file];

    public void Dispose() => _dir.Dispose();

    /// <summary>The 256 byte characters with id = byte, then each merge's result in order (ids 256, 257, ...),
    /// then <paramref name="extra"/> tokens.</summary>
    public static Dictionary<string, int> Vocab(IEnumerable<(string Left, string Right)> merges, params string[] extra)
    {
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) vocab[ByteLevel.ByteToChar[b].ToString()] = b;
        foreach (var (l, r) in merges) vocab.TryAdd(l + r, vocab.Count);
        foreach (var e in extra) vocab.TryAdd(e, vocab.Count);
        return vocab;
    }

    /// <summary>vocab.json + merges.txt (+ optional side files).</summary>
    public TinyTokenizerFolder WriteGpt2(IReadOnlyList<(string, string)> merges, Dictionary<string, int>? vocab = null, object? tokenizerConfig = null)
    {
        vocab ??= Vocab(merges);
        File.WriteAllText(this["vocab.json"], JsonSerializer.Serialize(vocab));
        var sb = new StringBuilder("#version: 0.2\n");
        foreach (var (l, r) in merges) sb.Append(l).Append(' ').Append(r).Append('\n');
        File.WriteAllText(this["merges.txt"], sb.ToString());
        if (tokenizerConfig is not null) WriteJson("tokenizer_config.json", tokenizerConfig);
        return this;
    }

    /// <summary>A tokenizer.json with a byte-level BPE model; <paramref name="configure"/> edits the document.</summary>
    public TinyTokenizerFolder WriteTokenizerJson(IReadOnlyList<(string, string)> merges, Action<Dictionary<string, object?>>? configure = null,
        Dictionary<string, int>? vocab = null, bool mergesAsPairs = false)
    {
        vocab ??= Vocab(merges);
        var doc = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["added_tokens"] = new List<object>(),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = true },
            ["post_processor"] = new { type = "ByteLevel", add_prefix_space = true, trim_offsets = false, use_regex = true },
            ["decoder"] = new { type = "ByteLevel", add_prefix_space = true, trim_offsets = true, use_regex = true },
            ["model"] = new Dictionary<string, object?>
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = null,
                ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = mergesAsPairs ? merges.Select(m => new[] { m.Item1, m.Item2 }).ToList<object>() : merges.Select(m => $"{m.Item1} {m.Item2}").ToList<object>(),
            },
        };
        configure?.Invoke(doc);
        WriteJson("tokenizer.json", doc);
        return this;
    }

    public TinyTokenizerFolder WriteJson(string file, object content)
    {
        File.WriteAllText(this[file], JsonSerializer.Serialize(content));
        return this;
    }

    public ITokenizer Load() => TokenizerLoader.Load(Path);
}
