using Runner.Core;
using Runner.Core.Data.Planted;
using Runner.Core.Data.Text;
using Runner.Core.Tokenizers;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// The spec's text data as packed token sequences of <c>data.context</c> tokens for an hf model: text files or
/// JSON lines (document order shuffled with the seed, see <see cref="TokenPacker"/>) or the planted-topics corpus
/// (a seeded stream, already in random order) read through the model's own tokenizer.
/// </summary>
internal static class TextSequences
{
    /// <summary>Sequences in a deterministic order; lazy, so only what is read is tokenized.</summary>
    public static IEnumerable<int[]> Read(ExperimentSpec spec, ITokenizer tokenizer, int? separator)
    {
        var data = spec.Data;
        if (data.Bos && separator is null)
            throw new RunnerException("data.bos: the tokenizer has no BOS or EOS token to start sequences with; set data.bos: false", 2);
        var bos = data.Bos ? separator : null;
        if (data.Files is not null || data.Jsonl is not null)
        {
            var documents = TextSources.Documents(new TextSourceOptions
            {
                Files = data.Files ?? [],
                Jsonl = data.Jsonl ?? [],
                TextField = data.TextField ?? "text",
            }).ToList();
            return TokenPacker.Pack(documents, tokenizer.Encode, new PackingOptions { Context = data.Context, BosId = bos, Seed = (ulong)spec.Seed }, long.MaxValue);
        }
        return Planted(spec, tokenizer, bos);
    }

    // The planted-topics corpus as text, packed the way TokenPacker packs (BOS first, BOS between documents).
    private static IEnumerable<int[]> Planted(ExperimentSpec spec, ITokenizer tokenizer, int? bos)
    {
        var corpus = new PlantedCorpus(PlantedVocabulary.Create(), new PlantedCorpusOptions { Seed = (ulong)spec.Seed });
        var context = spec.Data.Context;
        var body = bos is null ? context : context - 1;
        var pending = new List<int>(2 * context);
        var first = true;
        foreach (var document in corpus.Documents())
        {
            // The corpus's own "<doc>" marker is its word-level BOS: drop it, the model's separator takes its place.
            var text = corpus.DocumentText(document).Replace("<doc>", "", StringComparison.Ordinal).Trim();
            if (!first && bos is { } sep) pending.Add(sep);
            first = false;
            pending.AddRange(tokenizer.Encode(text));
            while (pending.Count >= body)
            {
                var sequence = new int[context];
                var offset = 0;
                if (bos is { } b) sequence[offset++] = b;
                pending.CopyTo(0, sequence, offset, body);
                pending.RemoveRange(0, body);
                yield return sequence;
            }
        }
    }
}
