namespace Runner.Core.Tokenizers;

/// <summary>
/// A word-level tokenizer (tokenizers' WordLevel model): added tokens are split out of the raw text, the
/// rest is normalized and pre-tokenized (WhitespaceSplit, Whitespace), and each piece is looked up whole in
/// the vocabulary. A piece not in it becomes the unk token, or is an error when the vocabulary has no unk
/// token (tokenizers' MissingUnkToken). Decoding joins the pieces with single spaces, as tokenizers does
/// for a tokenizer without a decoder.
/// </summary>
internal sealed class WordLevelTokenizer : AddedTokenTokenizer
{
    private readonly Dictionary<string, int> _vocab;
    private readonly string _unkToken;
    private readonly int? _unkId;

    /// <summary>Assembles the tokenizer; <paramref name="unkToken"/> is used when it is in <paramref name="vocab"/>.</summary>
    public WordLevelTokenizer(Dictionary<string, int> vocab, string unkToken, Func<string, string>? normalize,
        IReadOnlyList<PreTokenizerStep> preTokenizer, IReadOnlyList<AddedToken> addedTokens, int? bosId, int? eosId, bool addsBosByDefault)
        : base(vocab, normalize, preTokenizer, addedTokens, bosId, eosId, addsBosByDefault, charsPerIdEstimate: 4)
    {
        _vocab = vocab;
        _unkToken = unkToken;
        _unkId = vocab.TryGetValue(unkToken, out var unk) ? unk : null;
    }

    /// <inheritdoc />
    /// <exception cref="RunnerException">The word is not in the vocabulary and the vocabulary has no unk token.</exception>
    protected override void EncodePiece(string piece, List<int> ids) =>
        ids.Add(_vocab.TryGetValue(piece, out var id) ? id
            : _unkId ?? throw new RunnerException(
                $"'{piece}' is not in the tokenizer's vocabulary ({_vocab.Count} words), and its unk token '{_unkToken}' is not either, so unknown words cannot be encoded"));

    /// <inheritdoc />
    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecial = false)
    {
        var text = new System.Text.StringBuilder(ids.Length * 6);
        bool first = true;
        foreach (int id in ids)
        {
            if (!TryGetDecodedPiece(id, skipSpecial, out var piece)) continue;
            if (!first) text.Append(' ');
            text.Append(piece);
            first = false;
        }
        return text.ToString();
    }
}
