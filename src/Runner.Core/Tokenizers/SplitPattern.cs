using System.Globalization;
using System.Text.RegularExpressions;

namespace Runner.Core.Tokenizers;

/// <summary>
/// A pre-tokenizer regex that matches like the Rust tokenizers library (Oniguruma over code points).
/// .NET's Regex works on UTF-16 code units, so <c>\p{L}</c> would not match an astral letter and
/// <c>[^\s\p{L}\p{N}]</c> would match half of a surrogate pair. Text with astral characters is therefore
/// matched through a proxy string with one character per code point: each astral code point is replaced
/// by a BMP character of the same general category (which every category-based pattern treats alike) and
/// match offsets are mapped back. Patterns that name astral characters literally are not supported.
/// </summary>
internal sealed class SplitPattern
{
    /// <summary>GPT-2's pre-tokenizer pattern (also the ByteLevel pre-tokenizer's with use_regex).</summary>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    private readonly Regex _regex;
    // Oniguruma case-folds U+017F LATIN SMALL LETTER LONG S to 's' under (?i); .NET's Regex does not.
    private readonly bool _foldLongS;

    private SplitPattern(Regex regex, bool foldLongS)
    {
        _regex = regex;
        _foldLongS = foldLongS;
    }

    /// <summary>The pattern text this was built from.</summary>
    public string Pattern => _regex.ToString();

    /// <summary>Compiles a regex pattern; throws <see cref="ArgumentException"/> when .NET rejects it.</summary>
    public static SplitPattern FromRegex(string pattern) =>
        new(new Regex(pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled),
            pattern.Contains("(?i", StringComparison.Ordinal));

    /// <summary>A pattern matching <paramref name="literal"/> exactly.</summary>
    public static SplitPattern FromLiteral(string literal) =>
        new(new Regex(Regex.Escape(literal), RegexOptions.CultureInvariant), foldLongS: false);

    /// <summary>The matches of the pattern in <paramref name="text"/>, as [start, end) UTF-16 offsets,
    /// left to right, non-overlapping; empty matches are left out.</summary>
    public List<(int Start, int End)> Matches(string text)
    {
        var result = new List<(int, int)>();
        if (!NeedsProxy(text))
        {
            foreach (var m in _regex.EnumerateMatches(text))
                if (m.Length > 0) result.Add((m.Index, m.Index + m.Length));
            return result;
        }
        var (proxy, offsets) = BuildProxy(text);
        foreach (var m in _regex.EnumerateMatches(proxy))
            if (m.Length > 0) result.Add((offsets[m.Index], offsets[m.Index + m.Length]));
        return result;
    }

    private bool NeedsProxy(string text)
    {
        foreach (char c in text)
            if (char.IsSurrogate(c) || (_foldLongS && c == '\u017F')) return true;
        return false;
    }

    // proxy: one char per code point; offsets[i] = UTF-16 index in text of proxy char i (plus the end).
    private (string Proxy, int[] Offsets) BuildProxy(string text)
    {
        var proxy = new char[text.Length];
        var offsets = new int[text.Length + 1];
        int n = 0;
        for (int i = 0; i < text.Length; i++)
        {
            offsets[n] = i;
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                proxy[n++] = Representative(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, text[i + 1])));
                i++;
            }
            // A lone surrogate becomes U+FFFD in UTF-8 (and is one in a Rust string): match it as that.
            else if (char.IsSurrogate(c)) proxy[n++] = '\uFFFD';
            else proxy[n++] = _foldLongS && c == '\u017F' ? 's' : c;
        }
        offsets[n] = text.Length;
        return (new string(proxy, 0, n), offsets);
    }

    // A BMP character of each general category, none of them special in the patterns tokenizers use.
    private static char Representative(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter => '\u00C0',
        UnicodeCategory.LowercaseLetter => '\u00E0',
        UnicodeCategory.TitlecaseLetter => '\u01C5',
        UnicodeCategory.ModifierLetter => '\u02B0',
        UnicodeCategory.OtherLetter => '\u05D0',
        UnicodeCategory.NonSpacingMark => '\u0300',
        UnicodeCategory.SpacingCombiningMark => '\u0903',
        UnicodeCategory.EnclosingMark => '\u20DD',
        UnicodeCategory.DecimalDigitNumber => '\u0660',
        UnicodeCategory.LetterNumber => '\u2160',
        UnicodeCategory.OtherNumber => '\u00B2',
        UnicodeCategory.SpaceSeparator => '\u2000',
        UnicodeCategory.LineSeparator => '\u2028',
        UnicodeCategory.ParagraphSeparator => '\u2029',
        UnicodeCategory.Control => '\u0001',
        UnicodeCategory.Format => '\u00AD',
        UnicodeCategory.PrivateUse => '\uE000',
        UnicodeCategory.ConnectorPunctuation => '\u203F',
        UnicodeCategory.DashPunctuation => '\u2010',
        UnicodeCategory.OpenPunctuation => '\u2045',
        UnicodeCategory.ClosePunctuation => '\u2046',
        UnicodeCategory.InitialQuotePunctuation => '\u00AB',
        UnicodeCategory.FinalQuotePunctuation => '\u00BB',
        UnicodeCategory.OtherPunctuation => '\u00A1',
        UnicodeCategory.MathSymbol => '\u00B1',
        UnicodeCategory.CurrencySymbol => '\u00A2',
        UnicodeCategory.ModifierSymbol => '\u02C2',
        UnicodeCategory.OtherSymbol => '\u00A9',
        _ => '\u0378', // unassigned
    };
}
