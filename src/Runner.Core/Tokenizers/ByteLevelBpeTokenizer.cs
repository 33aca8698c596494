using System.Text;

namespace Runner.Core.Tokenizers;

/// <summary>
/// A byte-level BPE tokenizer assembled the way tokenizers' TokenizerImpl runs one: added tokens are
/// split out of the raw text, the rest is normalized, split by the pre-tokenizer steps (ending in
/// byte-level characters) and each piece is run through BPE.
/// </summary>
internal sealed class ByteLevelBpeTokenizer : ITokenizer
{
    private readonly BpeModel _model;
    private readonly Func<string, string>? _normalize;
    private readonly IReadOnlyList<PreTokenizerStep> _preTokenizer;
    private readonly AddedTokenMatcher _rawAdded;        // added tokens with normalized = false
    private readonly AddedTokenMatcher _normalizedAdded; // added tokens with normalized = true
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly string?[] _pieces;

    /// <summary>Assembles the tokenizer; <paramref name="preTokenizer"/> must produce byte-level pieces.</summary>
    public ByteLevelBpeTokenizer(BpeModel model, Func<string, string>? normalize, IReadOnlyList<PreTokenizerStep> preTokenizer,
        IReadOnlyList<AddedToken> addedTokens, int? bosId, int? eosId, bool addsBosByDefault)
    {
        _model = model;
        _normalize = normalize;
        _preTokenizer = preTokenizer;
        _addedById = [];
        foreach (var t in addedTokens) _addedById[t.Id] = t;
        _rawAdded = new AddedTokenMatcher(_addedById.Values.Where(t => !t.Normalized));
        _normalizedAdded = new AddedTokenMatcher(_addedById.Values.Where(t => t.Normalized));
        int max = -1;
        foreach (var id in model.Vocab.Values) max = Math.Max(max, id);
        foreach (var id in _addedById.Keys) max = Math.Max(max, id);
        _pieces = new string?[max + 1];
        foreach (var (piece, id) in model.Vocab) _pieces[id] = piece;
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
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
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
                else foreach (var piece in PreTokenizerStep.Run(_preTokenizer, part)) _model.Encode(piece, ids);
            }
        }
        return [.. ids];
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecial = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)_pieces.Length || _pieces[id] is not { } piece) continue;
            if (skipSpecial && _addedById.TryGetValue(id, out var added) && added.Special) continue;
            ByteLevel.AppendBytes(piece, bytes);
        }
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }

    /// <inheritdoc />
    public string Piece(int id) =>
        (uint)id < (uint)_pieces.Length && _pieces[id] is { } piece
            ? piece
            : throw new RunnerException($"token id {id} is not in the vocabulary (ids 0..{_pieces.Length - 1})");

    /// <inheritdoc />
    public bool IsSpecial(int id) => _addedById.TryGetValue(id, out var t) && t.Special;
}
