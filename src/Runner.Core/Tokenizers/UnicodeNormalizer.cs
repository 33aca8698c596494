using System.Text;

namespace Runner.Core.Tokenizers;

/// <summary>
/// Canonical Unicode normalization (NFC, NFD) over Runner's own tables. We cannot use
/// <see cref="string.Normalize()"/>: under InvariantGlobalization (which Runner builds with) it returns its
/// input unchanged. Follows UAX #15: full canonical decomposition, canonical ordering by combining class,
/// then canonical composition (skipping composition exclusions); Hangul syllables are algorithmic.
/// Characters newer than <see cref="UnicodeNormalizationData.UnicodeVersion"/> pass through unchanged.
/// </summary>
internal static class UnicodeNormalizer
{
    // Hangul syllable arithmetic (Unicode chapter 3.12).
    const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    static readonly Dictionary<int, (int First, int Second)> Decomposition = [];
    static readonly Dictionary<long, int> Composition = [];
    static readonly Dictionary<int, byte> CombiningClass = [];

    static UnicodeNormalizer()
    {
        var d = UnicodeNormalizationData.Decompositions;
        for (int i = 0; i < d.Length; i += 4)
        {
            Decomposition[d[i]] = (d[i + 1], d[i + 2]);
            if (d[i + 3] == 1) Composition[Pair(d[i + 1], d[i + 2])] = d[i];
        }
        var c = UnicodeNormalizationData.CombiningClasses;
        for (int i = 0; i < c.Length; i += 3)
            for (int cp = c[i]; cp <= c[i + 1]; cp++) CombiningClass[cp] = (byte)c[i + 2];
    }

    /// <summary>NFC of <paramref name="s"/>; returns the same instance when nothing changes.</summary>
    public static string Nfc(string s) => AllBelow(s, '\u0300') ? s : Normalize(s, compose: true);

    /// <summary>NFD of <paramref name="s"/>; returns the same instance when nothing changes.</summary>
    public static string Nfd(string s) => AllBelow(s, '\u00C0') ? s : Normalize(s, compose: false);

    // Every code point below U+0300 is a starter that NFC leaves alone; below U+00C0 none decomposes either.
    static bool AllBelow(string s, char limit)
    {
        foreach (char ch in s) if (ch >= limit) return false;
        return true;
    }

    static long Pair(int a, int b) => ((long)a << 21) | (uint)b;

    static int Ccc(int cp) => cp < 0x300 ? 0 : CombiningClass.GetValueOrDefault(cp);

    static string Normalize(string s, bool compose)
    {
        var cps = new List<int>(s.Length + 8);
        for (int i = 0; i < s.Length; i++)
        {
            int cp = s[i];
            // A lone surrogate stays as it is (a C# string can hold one; UTF-8 encoding later replaces it).
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                cp = char.ConvertToUtf32(s[i], s[++i]);
            Decompose(cp, cps);
        }
        SortCombiningMarks(cps);
        if (compose) Compose(cps);
        var sb = new StringBuilder(cps.Count);
        foreach (int cp in cps)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) sb.Append((char)cp);
            else sb.Append(char.ConvertFromUtf32(cp));
        }
        var result = sb.ToString();
        return result == s ? s : result;
    }

    static void Decompose(int cp, List<int> output)
    {
        if (cp is >= SBase and < SBase + SCount)
        {
            int index = cp - SBase;
            output.Add(LBase + index / NCount);
            output.Add(VBase + index % NCount / TCount);
            if (index % TCount != 0) output.Add(TBase + index % TCount);
            return;
        }
        if (cp >= 0xC0 && Decomposition.TryGetValue(cp, out var d))
        {
            Decompose(d.First, output);
            if (d.Second >= 0) Decompose(d.Second, output);
            return;
        }
        output.Add(cp);
    }

    // Canonical ordering: a stable sort of each run of non-starters by combining class.
    static void SortCombiningMarks(List<int> cps)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int ccc = Ccc(cps[i]);
            if (ccc == 0) continue;
            int j = i;
            while (j > 0 && Ccc(cps[j - 1]) > ccc)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    static void Compose(List<int> cps)
    {
        if (cps.Count < 2) return;
        int starter = Ccc(cps[0]) == 0 ? 0 : -1;
        int lastCcc = starter == 0 ? 0 : 256;
        int write = 1;
        for (int read = 1; read < cps.Count; read++)
        {
            int cp = cps[read];
            int ccc = Ccc(cp);
            // Not blocked: nothing between the starter and cp, or everything between has a lower class.
            bool blocked = starter < 0 || (write - 1 != starter && lastCcc >= ccc) || (write - 1 != starter && lastCcc == 0);
            if (!blocked && TryCompose(cps[starter], cp, out int composite))
            {
                cps[starter] = composite;
                continue;
            }
            if (ccc == 0)
            {
                starter = write;
                lastCcc = 0;
            }
            else lastCcc = ccc;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    static bool TryCompose(int a, int b, out int composite)
    {
        if (a is >= LBase and < LBase + LCount && b is >= VBase and < VBase + VCount)
        {
            composite = SBase + ((a - LBase) * VCount + (b - VBase)) * TCount;
            return true;
        }
        if (a is >= SBase and < SBase + SCount && (a - SBase) % TCount == 0 && b is > TBase and < TBase + TCount)
        {
            composite = a + (b - TBase);
            return true;
        }
        return Composition.TryGetValue(Pair(a, b), out composite);
    }
}
