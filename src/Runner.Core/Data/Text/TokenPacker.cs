namespace Runner.Core.Data.Text;

/// <summary>
/// Packs documents into fixed-length token sequences, SAELens-style (its <c>concat_and_batch_sequences</c>
/// with BOS as begin-batch and separator token):
/// <list type="number">
/// <item>shuffle the document order with <see cref="SplitMix64"/>(seed) and Fisher–Yates;</item>
/// <item>tokenize each document (lazily, in the shuffled order) and concatenate, with BOS between documents
/// when <see cref="PackingOptions.BosId"/> is set;</item>
/// <item>cut the stream into sequences: with a BOS, [BOS] + the next Context − 1 stream tokens; without,
/// the next Context tokens.</item>
/// </list>
/// As in SAELens no sequence holds two BOS in a row from packing: a separator that would follow a
/// sequence's own BOS is dropped, and so is a BOS the tokenizer put at the start of a document (the
/// separator or the sequence's BOS takes its place). Documents that tokenize to nothing are skipped.
/// The last partial sequence is dropped.
/// </summary>
public static class TokenPacker
{
    /// <summary>
    /// Up to <paramref name="maxSequences"/> sequences of <see cref="PackingOptions.Context"/> tokens.
    /// Throws <see cref="RunnerException"/> when the documents cannot fill even one sequence (saying how
    /// many tokens they gave and how many were needed). The document list is shuffled as a whole (a copy;
    /// the argument is not changed); tokenization is lazy and stops with the last sequence.
    /// </summary>
    public static IEnumerable<int[]> Pack(IReadOnlyList<string> documents, Func<string, int[]> tokenize, PackingOptions options, long maxSequences)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(tokenize);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(maxSequences);
        var minimum = options.BosId is null ? 1 : 2;
        if (options.Context < minimum)
            throw new RunnerException($"data.context: must be at least {minimum}{(options.BosId is null ? "" : " (the BOS and one token)")}, got {options.Context}", 2);
        if (documents.Count == 0) throw new RunnerException("data: there are no text documents to pack", 2);
        return PackIterator(documents, tokenize, options, maxSequences);
    }

    /// <summary>The document indices in shuffled order (Fisher–Yates driven by SplitMix64(seed)).</summary>
    public static int[] ShuffledOrder(int count, ulong seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new SplitMix64(seed).Shuffle(order);
        return order;
    }

    private static IEnumerable<int[]> PackIterator(IReadOnlyList<string> documents, Func<string, int[]> tokenize, PackingOptions options, long maxSequences)
    {
        if (maxSequences == 0) yield break;
        var context = options.Context;
        var bos = options.BosId;
        var body = bos is null ? context : context - 1;    // stream tokens per sequence
        var sequence = new int[context];
        var filled = 0;                                     // stream tokens in `sequence` so far
        var offset = bos is null ? 0 : 1;
        long emitted = 0, streamTokens = 0;

        foreach (var index in ShuffledOrder(documents.Count, options.Seed))
        {
            var tokens = tokenize(documents[index]) ?? throw new InvalidOperationException("the tokenizer returned null");
            var start = bos is { } b && tokens.Length > 0 && tokens[0] == b ? 1 : 0;
            if (start == tokens.Length) continue;

            // The separator, unless the sequence has just begun (its own BOS serves).
            if (bos is { } separator && filled > 0)
            {
                sequence[offset + filled++] = separator;
                streamTokens++;
                if (filled == body)
                {
                    yield return Emit(sequence, bos, ref filled);
                    if (++emitted == maxSequences) yield break;
                }
            }

            while (start < tokens.Length)
            {
                var take = Math.Min(body - filled, tokens.Length - start);
                Array.Copy(tokens, start, sequence, offset + filled, take);
                start += take;
                filled += take;
                streamTokens += take;
                if (filled == body)
                {
                    yield return Emit(sequence, bos, ref filled);
                    if (++emitted == maxSequences) yield break;
                }
            }
        }
        if (emitted == 0)
            throw new RunnerException(
                $"data: the {documents.Count} document(s) gave {streamTokens} token(s){(bos is null ? "" : " (separators included)")}, " +
                $"but one sequence of context {context} needs {body}{(bos is null ? "" : " after its BOS")}; add text or lower data.context", 2);
    }

    private static int[] Emit(int[] sequence, int? bos, ref int filled)
    {
        var result = (int[])sequence.Clone();
        if (bos is { } b) result[0] = b;
        filled = 0;
        return result;
    }
}
