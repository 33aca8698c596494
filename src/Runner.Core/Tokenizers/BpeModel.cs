using System.Collections.Concurrent;

namespace Runner.Core.Tokenizers;

/// <summary>
/// The BPE model: a vocabulary and ranked merges, applied to one pre-token at a time. The lowest-ranked
/// adjacent pair is merged first, the leftmost on ties (tokenizers' Word::merge_all). Results are cached
/// per pre-token, so a corpus with a Zipfian word distribution mostly skips the merge loop.
/// </summary>
internal sealed class BpeModel
{
    private const int MaxCachedEntries = 1 << 18;
    private const int MaxCachedLength = 256;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly bool _ignoreMerges;
    private readonly int? _unkId;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);

    /// <summary>Builds the model; <paramref name="merges"/> are (left, right) in rank order.
    /// Throws <see cref="ArgumentException"/> naming the merge when a part or the result is not in the vocabulary.</summary>
    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, bool ignoreMerges, string? unkToken)
    {
        _vocab = vocab;
        _ignoreMerges = ignoreMerges;
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!vocab.TryGetValue(left, out int a) || !vocab.TryGetValue(right, out int b))
                throw new ArgumentException($"merge {rank} (\"{left} {right}\"): \"{(vocab.ContainsKey(left) ? right : left)}\" is not in the vocabulary");
            if (!vocab.TryGetValue(left + right, out int merged))
                throw new ArgumentException($"merge {rank} (\"{left} {right}\"): the merged token \"{left + right}\" is not in the vocabulary");
            _merges[Key(a, b)] = (rank, merged);   // a repeated pair takes its last rank, as in tokenizers and GPT-2
        }
        if (unkToken is not null)
        {
            if (!vocab.TryGetValue(unkToken, out int unk))
                throw new ArgumentException($"unk_token \"{unkToken}\" is not in the vocabulary");
            _unkId = unk;
        }
    }

    /// <summary>The token → id map.</summary>
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    /// <summary>Number of merges.</summary>
    public int MergeCount => _merges.Count;

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Appends the ids of one pre-token (already in byte-level characters).</summary>
    public void Encode(string word, List<int> output)
    {
        if (_cache.TryGetValue(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        int[] ids = _ignoreMerges && _vocab.TryGetValue(word, out int whole) ? [whole] : Merge(word);
        if (word.Length <= MaxCachedLength && _cache.Count < MaxCachedEntries) _cache.TryAdd(word, ids);
        output.AddRange(ids);
    }

    private int[] Merge(string word)
    {
        // Symbols as a doubly linked list over the word's characters; a merge folds the right symbol into the left.
        int n = word.Length;
        var id = new int[n];
        var prev = new int[n];
        var next = new int[n];
        int count = 0;
        for (int i = 0; i < word.Length; i++)
        {
            int start = i;
            if (char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1])) i++;
            if (_vocab.TryGetValue(word.Substring(start, i - start + 1), out int sym)) id[count++] = sym;
            // Like tokenizers without byte_fallback: an unknown character becomes unk_token, or is dropped.
            else if (_unkId is int unk) id[count++] = unk;
        }
        for (int i = 0; i < count; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < count ? i + 1 : -1;
        }
        // Queue entries (left position, merged id), ordered by (rank, left position).
        var queue = new PriorityQueue<(int Pos, int NewId), (int Rank, int Pos)>(Math.Max(count, 1));
        void Offer(int pos)
        {
            if (pos < 0 || next[pos] < 0) return;
            if (_merges.TryGetValue(Key(id[pos], id[next[pos]]), out var m)) queue.Enqueue((pos, m.NewId), (m.Rank, pos));
        }
        for (int i = 0; i + 1 < count; i++) Offer(i);
        var alive = new bool[count];
        Array.Fill(alive, true);
        int remaining = count;
        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos, right = next[pos];
            // Stale entry: the left symbol was absorbed, or the pair changed since it was queued.
            if (!alive[pos] || right < 0) continue;
            if (!_merges.TryGetValue(Key(id[pos], id[right]), out var m) || m.NewId != top.NewId) continue;
            id[pos] = m.NewId;
            alive[right] = false;
            remaining--;
            next[pos] = next[right];
            if (next[pos] >= 0) prev[next[pos]] = pos;
            Offer(prev[pos]);
            Offer(pos);
        }
        var result = new int[remaining];
        for (int i = 0, k = 0; i < count; i++) if (alive[i]) result[k++] = id[i];
        return result;
    }
}
