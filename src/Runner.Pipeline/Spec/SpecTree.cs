namespace Runner.Pipeline.Spec;

/// <summary>Operations on the node tree: deep merge (later wins, lists replace) and setting a value at a path.</summary>
internal static class SpecTree
{
    /// <summary><paramref name="b"/> over <paramref name="a"/>: mappings merge key by key, anything else is replaced.</summary>
    public static SpecMapping Merge(SpecMapping a, SpecMapping b)
    {
        var list = a.Entries.ToList();
        foreach (var e in b.Entries)
        {
            var i = list.FindIndex(x => x.Key.Value == e.Key.Value);
            if (i < 0) list.Add(e);
            else if (list[i].Value is SpecMapping am && e.Value is SpecMapping bm) list[i] = new SpecEntry(e.Key, Merge(am, bm));
            else list[i] = e;
        }
        return new SpecMapping(b.Source, b.Line, b.Column, list);
    }

    /// <summary>
    /// A copy of <paramref name="current"/> with <paramref name="value"/> at the path; missing
    /// mappings are created (a scalar in the way is replaced). <paramref name="fail"/> gets what is
    /// wrong with an index, and the tree is returned unchanged.
    /// </summary>
    public static SpecNode Set(SpecNode? current, IReadOnlyList<PathSegment> path, int i, SpecNode value, Action<string> fail)
    {
        if (i == path.Count) return value;
        var seg = path[i];
        if (current is SpecSequence seq && seg.Index is { } index)
        {
            if (index >= seq.Items.Count)
            {
                fail($"index {index} is out of range (the list has {seq.Items.Count} item{(seq.Items.Count == 1 ? "" : "s")})");
                return seq;
            }
            var items = seq.Items.ToList();
            items[index] = Set(items[index], path, i + 1, value, fail);
            return new SpecSequence(seq.Source, seq.Line, seq.Column, items);
        }
        if (seg.Key is null)
        {
            fail("is not a list");
            return current ?? value;
        }
        var map = current as SpecMapping ?? new SpecMapping(value.Source, value.Line, value.Column, []);
        var existing = map.Find(seg.Key);
        var child = Set(existing?.Value, path, i + 1, value, fail);
        return map.With(existing?.Key ?? new SpecScalar(value.Source, value.Line, value.Column, seg.Key, true), child);
    }
}
