using Runner.Core;
using Runner.Core.Data.Planted;
using Runner.Core.Data.Text;
using Runner.Core.Tokenizers;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Builtin;

/// <summary>One packed sequence of <c>data.context</c> token ids, with the planted topic of each token when known (-1 = none).</summary>
internal readonly record struct TokenSequence(int[] Ids, int[]? Topics);

/// <summary>
/// The spec's text data as packed token sequences of <c>data.context</c> tokens: text files or JSON lines
/// (document order shuffled with the seed, see <see cref="TokenPacker"/>), or the planted-topics corpus (a seeded
/// stream, already in random order). An hf model reads the planted corpus as text through its own tokenizer; the
/// toy model reads the corpus's word ids directly, with each token's topic as ground truth.
/// </summary>
internal static class TextSequences
{
    /// <summary>Seed offset of the planted corpus's held-out stream (as the proof of concept).</summary>
    public const ulong EvalSeedOffset = 1000;

    /// <summary>
    /// Sequences in a deterministic order; lazy, so only what is read is tokenized. For the planted corpus,
    /// <paramref name="heldOut"/> selects the held-out stream; text files have one stream (capture takes eval first).
    /// </summary>
    public static IEnumerable<TokenSequence> Read(ExperimentSpec spec, ITokenizer tokenizer, int? separator, bool heldOut, PlantedVocabulary? toyVocabulary)
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
            return TokenPacker.Pack(documents, tokenizer.Encode, new PackingOptions { Context = data.Context, BosId = bos, Seed = (ulong)spec.Seed }, long.MaxValue)
                .Select(ids => new TokenSequence(ids, null));
        }
        var seed = (ulong)spec.Seed + (heldOut ? EvalSeedOffset : 0);
        return toyVocabulary is not null ? PlantedIds(toyVocabulary, seed, data.Context, bos) : PlantedText(seed, tokenizer, data.Context, bos);
    }

    // The toy model's own word ids: consecutive windows of the document stream (which carries its own <doc>
    // separators), each starting with BOS when data.bos is on; labels are the segment topics (-1 for BOS/<doc>).
    private static IEnumerable<TokenSequence> PlantedIds(PlantedVocabulary vocabulary, ulong seed, int context, int? bos)
    {
        var corpus = new PlantedCorpus(vocabulary, new PlantedCorpusOptions { Seed = seed });
        var body = bos is null ? context : context - 1;
        var ids = new List<int>(2 * context);
        var topics = new List<int>(2 * context);
        foreach (var document in corpus.Documents())
        {
            ids.AddRange(document.Ids);
            topics.AddRange(document.Topics);
            while (ids.Count >= body)
            {
                var seq = new int[context];
                var lab = new int[context];
                var offset = 0;
                if (bos is { } b) { seq[0] = b; lab[0] = -1; offset = 1; }
                ids.CopyTo(0, seq, offset, body);
                topics.CopyTo(0, lab, offset, body);
                ids.RemoveRange(0, body);
                topics.RemoveRange(0, body);
                yield return new TokenSequence(seq, lab);
            }
        }
    }

    // The planted-topics corpus as text through an hf tokenizer, packed the way TokenPacker packs (BOS first, BOS
    // between documents). Subword tokens have no word-level topic labels.
    private static IEnumerable<TokenSequence> PlantedText(ulong seed, ITokenizer tokenizer, int context, int? bos)
    {
        var corpus = new PlantedCorpus(PlantedVocabulary.Create(), new PlantedCorpusOptions { Seed = seed });
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
                yield return new TokenSequence(sequence, null);
            }
        }
    }
}
