namespace Runner.Pipeline.Spec;

/// <summary>A YAML mapping; entries in source order, duplicates already reported and dropped.</summary>
internal sealed class SpecMapping(SpecSource source, int line, int column, IReadOnlyList<SpecEntry> entries) : SpecNode(source, line, column)
{
    public IReadOnlyList<SpecEntry> Entries { get; } = entries;

    public SpecEntry? Find(string key) => Entries.FirstOrDefault(e => e.Key.Value == key);

    /// <summary>A copy with <paramref name="key"/> set to <paramref name="value"/> (replaced in place, or appended).</summary>
    public SpecMapping With(SpecScalar key, SpecNode value)
    {
        var list = Entries.ToList();
        var i = list.FindIndex(e => e.Key.Value == key.Value);
        if (i >= 0) list[i] = new SpecEntry(list[i].Key, value);
        else list.Add(new SpecEntry(key, value));
        return new SpecMapping(Source, Line, Column, list);
    }

    /// <summary>A copy without <paramref name="key"/>.</summary>
    public SpecMapping Without(string key) => new(Source, Line, Column, Entries.Where(e => e.Key.Value != key).ToList());

    public override string Describe() => "a mapping";
}
