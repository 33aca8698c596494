namespace Runner.Core.Tokenizers;

/// <summary>A token matched in the text before pre-tokenization (tokenizers' AddedToken).</summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">The text it stands for.</param>
/// <param name="Special">Marked special (skipped by <c>Decode(skipSpecial: true)</c>).</param>
/// <param name="LStrip">The match swallows whitespace on its left.</param>
/// <param name="RStrip">The match swallows whitespace on its right.</param>
/// <param name="SingleWord">Only matched when not inside a word.</param>
/// <param name="Normalized">Matched in the normalized text rather than the raw text.</param>
internal sealed record AddedToken(int Id, string Content, bool Special, bool LStrip = false, bool RStrip = false,
    bool SingleWord = false, bool Normalized = false);

/// <summary>Finds added tokens in text: leftmost, then longest (tokenizers uses Aho-Corasick LeftmostLongest).</summary>
internal sealed class AddedTokenMatcher
{
    private readonly Dictionary<char, AddedToken[]> _byFirstChar;

    /// <summary>Builds a matcher over <paramref name="tokens"/> (empty contents are ignored).</summary>
    public AddedTokenMatcher(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>True when there is nothing to match.</summary>
    public bool IsEmpty => _byFirstChar.Count == 0;

    /// <summary>Splits <paramref name="text"/> into plain segments (Token null) and added-token matches.</summary>
    public List<(string Text, AddedToken? Token)> Split(string text)
    {
        var result = new List<(string, AddedToken?)>();
        if (IsEmpty)
        {
            result.Add((text, null));
            return result;
        }
        int segmentStart = 0;
        int i = 0;
        while (i < text.Length)
        {
            if (!_byFirstChar.TryGetValue(text[i], out var candidates) || FindAt(text, i, candidates) is not { } token)
            {
                i++;
                continue;
            }
            int start = i, stop = i + token.Content.Length;
            if (token.LStrip)
                while (start > segmentStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip)
                while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
            if (start > segmentStart) result.Add((text[segmentStart..start], null));
            result.Add((text[start..stop], token));
            segmentStart = i = stop;
        }
        if (segmentStart < text.Length) result.Add((text[segmentStart..], null));
        return result;
    }

    private static AddedToken? FindAt(string text, int i, AddedToken[] candidates)
    {
        foreach (var t in candidates)   // longest first
        {
            if (!text.AsSpan(i).StartsWith(t.Content, StringComparison.Ordinal)) continue;
            if (t.SingleWord && ((i > 0 && IsWordChar(text[i - 1])) || (i + t.Content.Length < text.Length && IsWordChar(text[i + t.Content.Length]))))
                continue;
            return t;
        }
        return null;
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c == '_';
}
