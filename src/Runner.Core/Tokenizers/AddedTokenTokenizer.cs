namespace Runner.Core.Tokenizers;

/// <summary>
/// What the tokenizers run the way tokenizers' TokenizerImpl does share: added tokens are split out of the
/// raw text, the rest is normalized, added tokens marked normalized are split out of that, the remaining
/// parts are pre-tokenized and each piece goes to the model (<see cref="EncodePiece"/>). Also owns the
/// id → piece table (model vocabulary plus added tokens) behind <see cref="Piece"/>, <see cref="IsSpecial"/>
/// and <see cref="VocabSize"/>. Subclasses supply the per-piece model and <see cref="Decode"/>.
/// </summary>
internal abstract class AddedTokenTokenizer : ITokenizer
{
    private readonly Func<string, string>? _normalize;
    private readonly IReadOnlyList<PreTokenizerStep> _preTokenizer;
    private readonly AddedTokenMatcher _rawAdded;        // added tokens with normalized = false
    private readonly AddedTokenMatcher _normalizedAdded; // added tokens with normalized = true
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly string?[] _pieces;
    private readonly int _charsPerIdEstimate;

    /// <summary>Builds the added-token matchers and the id → piece table from <paramref name="vocab"/> and
    /// <paramref name="addedTokens"/> (an added token's content wins over a vocabulary entry with its id).</summary>
    /// <param name="vocab">The model's token → id map.</param>
    /// <param name="normalize">The normalizer, or null for none.</param>
    /// <param name="preTokenizer">The pre-tokenizer steps, run in order.</param>
    /// <param name="addedTokens">The added tokens (a later one with the same id replaces an earlier one).</param>
    /// <param name="bosId">See <see cref="BosId"/>.</param>
    /// <param name="eosId">See <see cref="EosId"/>.</param>
    /// <param name="addsBosByDefault">See <see cref="AddsBosByDefault"/>.</param>
    /// <param name="charsPerIdEstimate">Rough characters per id, to size the id list in <see cref="Encode"/>.</param>
    protected AddedTokenTokenizer(IReadOnlyDictionary<string, int> vocab, Func<string, string>? normalize,
        IReadOnlyList<PreTokenizerStep> preTokenizer, IReadOnlyList<AddedToken> addedTokens, int? bosId, int? eosId,
        bool addsBosByDefault, int charsPerIdEstimate)
    {
        _normalize = normalize;
        _preTokenizer = preTokenizer;
        _charsPerIdEstimate = charsPerIdEstimate;
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
    /// <exception cref="RunnerException">A piece cannot be encoded (see the subclass's <see cref="EncodePiece"/>).</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / _charsPerIdEstimate + 4);
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
                else foreach (var piece in PreTokenizerStep.Run(_preTokenizer, part)) EncodePiece(piece, ids);
            }
        }
        return [.. ids];
    }

    /// <summary>Appends the ids of one pre-tokenized <paramref name="piece"/> (never an added token) to <paramref name="ids"/>.</summary>
    protected abstract void EncodePiece(string piece, List<int> ids);

    /// <inheritdoc />
    public abstract string Decode(ReadOnlySpan<int> ids, bool skipSpecial = false);

    /// <summary>The piece <see cref="Decode"/> emits for <paramref name="id"/>: false for an id with no piece,
    /// and for an added token marked special when <paramref name="skipSpecial"/> is set.</summary>
    protected bool TryGetDecodedPiece(int id, bool skipSpecial, out string piece)
    {
        if ((uint)id >= (uint)_pieces.Length || _pieces[id] is not { } p
            || skipSpecial && _addedById.TryGetValue(id, out var added) && added.Special)
        {
            piece = "";
            return false;
        }
        piece = p;
        return true;
    }

    /// <inheritdoc />
    public string Piece(int id) =>
        (uint)id < (uint)_pieces.Length && _pieces[id] is { } piece
            ? piece
            : throw new RunnerException($"token id {id} is not in the vocabulary (ids 0..{_pieces.Length - 1})");

    /// <inheritdoc />
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var t) && t.Special;
}
