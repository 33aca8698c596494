namespace Runner.Core.Tokenizers;

/// <summary>
/// A word-level tokenizer (tokenizers' WordLevel model): added tokens are split out of the raw text, the
/// rest is normalized and pre-tokenized (WhitespaceSplit, Whitespace), and each piece is looked up whole in
/// the vocabulary. A piece not in it becomes the unk token, or is an error when the vocabulary has no unk
/// token (tokenizers' MissingUnkToken). Decoding joins the pieces with single spaces, as tokenizers does
/// for a tokenizer without a decoder.
/// </summary>
internal sealed class WordLevelTokenizer : ITokenizer
{
    private readonly Dictionary<string, int> _vocab;
    private readonly string _unkToken;
    private readonly int? _unkId;
    private readonly Func<string, string>? _normalize;
    private readonly IReadOnlyList<PreTokenizerStep> _preTokenizer;
    private readonly AddedTokenMatcher _rawAdded;        // added tokens with normalized = false
    private readonly AddedTokenMatcher _normalizedAdded; // added tokens with normalized = true
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly string?[] _pieces;

    /// <summary>Assembles the tokenizer; <paramref name="unkToken"/> is used when it is in <paramref name="vocab"/>.</summary>
    public WordLevelTokenizer(Dictionary<string, int> vocab, string unkToken, Func<string, string>? normalize,
        IReadOnlyList<PreTokenizerStep> preTokenizer, IReadOnlyList<AddedToken> addedTokens, int? bosId, int? eosId, bool addsBosByDefault)
    {
        _vocab = vocab;
        _unkToken = unkToken;
        _unkId = vocab.TryGetValue(unkToken, out var unk) ? unk : null;
        _normalize = normalize;
        _preTokenizer = preTokenizer;
        _addedById = [];
        foreach (var t in addedTokens) _addedById[t.Id] = t;
        _rawAdded = new AddedTokenMatcher(_addedById.Values.Where(t => !t.Normalized));
        _normalizedAdded = new AddedTokenMatcher(_addedById.Values.Where(t => t.Normalized));
        int max = -1;
        foreach (var id in vocab.Values) max = Math.Max(max, id);
        foreach (var id in _addedById.Keys) max = Math.Max(max, id);
        _pieces = new string?[max + 1];
        foreach (var (piece, id) in vocab) _pieces[id] = piece;
        foreach (var t in _addedById.Values) _pieces[t.Id] = t.Content;
        BosId = bosId;
        EosId = eosId;
        AddsBosByDefault = addsBosByDefault;
    }

    /// <inheritdoc />
    public int VocabSize => _pieces.Length;

    /// <inheritdoc />
    public int? BosId { get; }

    /// <inheritdoc />
    public int? EosId { get; }

    /// <inheritdoc />
    public bool AddsBosByDefault { get; }

    /// <inheritdoc />
    /// <exception cref="RunnerException">A word is not in the vocabulary and the vocabulary has no unk token.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 4 + 4);
        foreach (var (segment, token) in _rawAdded.Split(text))
        {
            if (token is not null)
            {
                ids.Add(token.Id);
                continue;
            }
            var normalized = _normalize is null ? segment : _normalize(segment);
            foreach (var (part, normalizedToken) in _normalizedAdded.Split(normalized))
            {
                if (normalizedToken is not null) ids.Add(normalizedToken.Id);
                else foreach (var piece in PreTokenizerStep.Run(_preTokenizer, part)) ids.Add(Lookup(piece));
            }
        }
        return [.. ids];
    }

    private int Lookup(string word) =>
        _vocab.TryGetValue(word, out var id) ? id
        : _unkId ?? throw new RunnerException(
            $"'{word}' is not in the tokenizer's vocabulary ({_vocab.Count} words), and its unk token '{_unkToken}' is not either, so unknown words cannot be encoded");

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecial = false)
    {
        var text = new System.Text.StringBuilder(ids.Length * 6);
        bool first = true;
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_pieces.Length || _pieces[id] is not { } piece) continue;
            if (skipSpecial && _addedById.TryGetValue(id, out var added) && added.Special) continue;
            if (!first) text.Append(' ');
            text.Append(piece);
            first = false;
        }
        return text.ToString();
    }

    /// <inheritdoc />
    public string Piece(int id) =>
        (uint)id < (uint)_pieces.Length && _pieces[id] is { } piece
            ? piece
            : throw new RunnerException($"token id {id} is not in the vocabulary (ids 0..{_pieces.Length - 1})");

    /// <inheritdoc />
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var t) && t.Special;
}
