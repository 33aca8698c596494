namespace Runner.Cli.Rendering;

/// <summary>A plain, aligned text table: readable in a terminal, a CI log or a pasted issue.</summary>
public static class TextTable
{
    /// <summary>Writes the header, a rule and the rows, columns padded to their widest cell.</summary>
    public static void Write(TextWriter o, IReadOnlyList<string> header, IReadOnlyList<string[]> rows)
    {
        var widths = header.Select(h => h.Length).ToArray();
        foreach (var row in rows)
            for (var i = 0; i < widths.Length && i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        void Line(IReadOnlyList<string> cells) =>
            o.WriteLine(string.Join("  ", cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
        Line(header);
        Line(widths.Select(w => new string('-', w)).ToArray());
        foreach (var row in rows) Line(row);
    }
}
