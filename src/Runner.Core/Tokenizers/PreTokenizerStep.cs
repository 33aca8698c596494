namespace Runner.Core.Tokenizers;

/// <summary>How a Split pre-tokenizer treats the matches of its pattern (tokenizers' SplitDelimiterBehavior).</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>One step of a pre-tokenizer: it turns each piece of text into zero or more pieces
/// (tokenizers' PreTokenizedString.split, which drops empty pieces).</summary>
internal abstract class PreTokenizerStep
{
    /// <summary>Appends the pieces <paramref name="piece"/> splits into.</summary>
    public abstract void Split(string piece, List<string> output);

    /// <summary>Applies the steps in order to <paramref name="text"/>.</summary>
    public static List<string> Run(IReadOnlyList<PreTokenizerStep> steps, string text)
    {
        var pieces = new List<string> { text };
        var next = new List<string>();
        foreach (var step in steps)
        {
            next.Clear();
            foreach (var p in pieces) step.Split(p, next);
            (pieces, next) = (next, pieces);
        }
        pieces.RemoveAll(p => p.Length == 0);
        return pieces;
    }
}

/// <summary>tokenizers' Split pre-tokenizer: a pattern, a behavior and an invert flag.</summary>
internal sealed class SplitStep(SplitPattern pattern, SplitBehavior behavior, bool invert) : PreTokenizerStep
{
    /// <inheritdoc />
    public override void Split(string piece, List<string> output)
    {
        if (piece.Length == 0) return;
        // (start, end, isMatch) covering the piece, as tokenizers' Pattern::find_matches.
        var spans = new List<(int Start, int End, bool IsMatch)>();
        int prev = 0;
        foreach (var (start, end) in pattern.Matches(piece))
        {
            if (prev != start) spans.Add((prev, start, invert));
            spans.Add((start, end, !invert));
            prev = end;
        }
        if (prev != piece.Length) spans.Add((prev, piece.Length, invert));

        var kept = new List<(int Start, int End, bool Drop)>();
        bool previousMatch = false;
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                foreach (var s in spans) kept.Add((s.Start, s.End, false));
                break;
            case SplitBehavior.Removed:
                foreach (var s in spans) kept.Add((s.Start, s.End, s.IsMatch));
                break;
            case SplitBehavior.MergedWithPrevious:
                foreach (var s in spans)
                {
                    if (s.IsMatch && !previousMatch && kept.Count > 0) kept[^1] = (kept[^1].Start, s.End, false);
                    else kept.Add((s.Start, s.End, false));
                    previousMatch = s.IsMatch;
                }
                break;
            case SplitBehavior.MergedWithNext:
                for (int i = spans.Count - 1; i >= 0; i--)
                {
                    var s = spans[i];
                    if (s.IsMatch && !previousMatch && kept.Count > 0) kept[^1] = (s.Start, kept[^1].End, false);
                    else kept.Add((s.Start, s.End, false));
                    previousMatch = s.IsMatch;
                }
                kept.Reverse();
                break;
            case SplitBehavior.Contiguous:
                foreach (var s in spans)
                {
                    if (s.IsMatch == previousMatch && kept.Count > 0) kept[^1] = (kept[^1].Start, s.End, false);
                    else kept.Add((s.Start, s.End, false));
                    previousMatch = s.IsMatch;
                }
                break;
        }
        foreach (var k in kept)
            if (!k.Drop && k.End > k.Start) output.Add(piece[k.Start..k.End]);
    }
}

/// <summary>tokenizers' Whitespace pre-tokenizer: runs of word characters and runs of other non-space
/// characters (<c>\w+|[^\w\s]+</c>); whitespace is removed.</summary>
internal static class WhitespaceStep
{
    /// <summary>The step: a Split on the pattern, inverted, with the rest removed (as tokenizers builds it).</summary>
    public static readonly SplitStep Instance = new(SplitPattern.FromRegex(@"\w+|[^\w\s]+"), SplitBehavior.Removed, invert: true);
}

/// <summary>tokenizers' ByteLevel pre-tokenizer: optionally a leading space and GPT-2's split, then
/// every piece's UTF-8 bytes mapped to GPT-2's byte characters.</summary>
internal sealed class ByteLevelStep(bool addPrefixSpace, bool useRegex) : PreTokenizerStep
{
    private static readonly SplitStep Gpt2Split = new(SplitPattern.FromRegex(SplitPattern.Gpt2), SplitBehavior.Isolated, false);

    /// <inheritdoc />
    public override void Split(string piece, List<string> output)
    {
        if (piece.Length == 0) return;
        if (addPrefixSpace && piece[0] != ' ') piece = " " + piece;
        if (!useRegex)
        {
            output.Add(ByteLevel.Encode(piece));
            return;
        }
        int first = output.Count;
        Gpt2Split.Split(piece, output);
        for (int i = first; i < output.Count; i++) output[i] = ByteLevel.Encode(output[i]);
    }
}

/// <summary>tokenizers' WhitespaceSplit pre-tokenizer: splits on Unicode whitespace, which is removed.</summary>
internal sealed class WhitespaceSplitStep : PreTokenizerStep
{
    /// <inheritdoc />
    public override void Split(string piece, List<string> output)
    {
        int start = -1;
        for (int i = 0; i < piece.Length; i++)
        {
            if (char.IsWhiteSpace(piece[i]))
            {
                if (start >= 0) output.Add(piece[start..i]);
                start = -1;
            }
            else if (start < 0) start = i;
        }
        if (start >= 0) output.Add(piece[start..]);
    }
}
