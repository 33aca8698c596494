using System.Text;

namespace Runner.Core.Tokenizers;

/// <summary>
/// A byte-level BPE tokenizer assembled the way tokenizers' TokenizerImpl runs one: added tokens are
/// split out of the raw text, the rest is normalized, split by the pre-tokenizer steps (ending in
/// byte-level characters) and each piece is run through BPE.
/// </summary>
internal sealed class ByteLevelBpeTokenizer : AddedTokenTokenizer
{
    private readonly BpeModel _model;

    /// <summary>Assembles the tokenizer; <paramref name="preTokenizer"/> must produce byte-level pieces.</summary>
    public ByteLevelBpeTokenizer(BpeModel model, Func<string, string>? normalize, IReadOnlyList<PreTokenizerStep> preTokenizer,
        IReadOnlyList<AddedToken> addedTokens, int? bosId, int? eosId, bool addsBosByDefault)
        : base(model.Vocab, normalize, preTokenizer, addedTokens, bosId, eosId, addsBosByDefault, charsPerIdEstimate: 3)
    {
        _model = model;
    }

    /// <inheritdoc />
    protected override void EncodePiece(string piece, List<int> ids) => _model.Encode(piece, ids);

    /// <inheritdoc />
    public override string Decode(ReadOnlySpan<int> ids, bool skipSpecial = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (int id in ids)
            if (TryGetDecodedPiece(id, skipSpecial, out var piece)) ByteLevel.AppendBytes(piece, bytes);
        return Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes));
    }
}
