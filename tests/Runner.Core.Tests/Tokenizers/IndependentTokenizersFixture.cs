using System.Text.Json;
using Runner.Tests.Shared;

namespace Runner.Core.Tests.Tokenizers;

/// <summary>
/// Runs tests/tokenizer-compare/compare.mjs once through <see cref="NpmFolder"/> (`npm ci` when node_modules is
/// missing, under a cross-process lock), then node, which
/// writes the GPT-2, Llama 3 and Qwen 3 vocabulary folders to a temp folder and prints the ids the
/// independent JavaScript implementations give for every string of corpus.json.
/// </summary>
public sealed class IndependentTokenizersFixture : IDisposable
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromMinutes(2);

    public IndependentTokenizersFixture()
    {
        var folder = new NpmFolder("tokenizer-compare");
        CompareDir = folder.Directory;
        Corpus = JsonSerializer.Deserialize<string[]>(File.ReadAllText(Path.Combine(CompareDir, "corpus.json")))!;
        SkipReason = folder.SkipReason;
        if (SkipReason is not null) return;
        OutDir = Path.Combine(Path.GetTempPath(), "runner-tokenizer-compare", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(OutDir);
        var stdout = folder.Run("compare.mjs", ["corpus.json", OutDir], NodeTimeout);
        JsIds = JsonSerializer.Deserialize<Dictionary<string, int[][]>>(stdout)!;
    }

    /// <summary>tests/tokenizer-compare.</summary>
    public string CompareDir { get; }

    /// <summary>The strings of corpus.json.</summary>
    public string[] Corpus { get; }

    /// <summary>Why the comparison cannot run here, or null.</summary>
    public string? SkipReason { get; }

    /// <summary>Where compare.mjs wrote the vocabulary folders (gpt2, llama3, qwen3).</summary>
    public string OutDir { get; } = "";

    /// <summary>Per package, the JavaScript ids of each corpus string.</summary>
    public Dictionary<string, int[][]> JsIds { get; } = [];

    public void Dispose()
    {
        if (OutDir.Length == 0) return;
        try { Directory.Delete(OutDir, recursive: true); }
        catch (IOException) { }
    }
}
