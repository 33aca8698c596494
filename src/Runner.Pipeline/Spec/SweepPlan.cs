namespace Runner.Pipeline.Spec;

/// <summary>
/// The <c>sweep:</c> block: <c>{ sae.k: [16, 32], sae.dict_size: [2048, 4096], zip: [ { a: […], b: […] } ] }</c>.
/// Each key outside <c>zip</c> is one dimension; each zip group (a mapping, or a list of them) is one
/// dimension whose lists have equal lengths. Points are the cartesian product of the dimensions,
/// in order, the first varying slowest.
/// </summary>
internal sealed class SweepPlan
{
    public const int MaxPoints = 10_000;

    private SweepPlan(IReadOnlyList<SweepDimension> dimensions, bool isValid)
    {
        Dimensions = dimensions;
        IsValid = isValid;
    }

    public IReadOnlyList<SweepDimension> Dimensions { get; }

    /// <summary>False when the block had errors (reported); the loader then validates the spec without it.</summary>
    public bool IsValid { get; }

    public IReadOnlyList<string> Keys => Dimensions.SelectMany(d => d.Keys).ToList();

    public int PointCount => Dimensions.Aggregate(1, (n, d) => n * d.Length);

    /// <summary>The swept keys and their values at point <paramref name="index"/>, in sweep order.</summary>
    public IReadOnlyList<(string Key, SpecNode Value)> Point(int index)
    {
        var positions = new int[Dimensions.Count];
        for (var d = Dimensions.Count - 1; d >= 0; d--)
        {
            positions[d] = index % Dimensions[d].Length;
            index /= Dimensions[d].Length;
        }
        return Dimensions.SelectMany((dim, d) => dim.Keys.Select((k, j) => (k, dim.Lists[j].Items[positions[d]]))).ToList();
    }

    public static SweepPlan Parse(SpecNode? node, SpecErrors errors)
    {
        if (node is null || node.IsNull) return new SweepPlan([], true);
        if (node is SpecScalar { IsBroken: true }) return new SweepPlan([], false);
        if (node is not SpecMapping map)
        {
            errors.Add(node, "sweep", $"expected a mapping of key paths to lists of values, got {node.Describe()}");
            return new SweepPlan([], false);
        }
        var before = errors.Count;
        var dims = new List<SweepDimension>();
        var seen = new List<SpecScalar>();
        foreach (var entry in map.Entries)
        {
            if (entry.Key.Value != "zip")
            {
                if (Axis(entry, "sweep", seen, errors) is { } list) dims.Add(new SweepDimension([entry.Key.Value], [list]));
                continue;
            }
            List<(SpecMapping? Group, string Path)> groups = entry.Value switch
            {
                SpecMapping m => [(m, "sweep.zip")],
                SpecSequence s => s.Items.Select((x, i) => (x as SpecMapping, SpecPath.Index("sweep.zip", i))).ToList(),
                _ => [],
            };
            if (entry.Value is not SpecMapping and not SpecSequence)
                errors.Add(entry.Value, "sweep.zip", $"expected a mapping or a list of mappings, got {entry.Value.Describe()}");
            for (var g = 0; g < groups.Count; g++)
            {
                var (group, path) = groups[g];
                if (group is null)
                {
                    var item = ((SpecSequence)entry.Value).Items[g];
                    errors.Add(item, path, $"expected a mapping of key paths to lists of values, got {item.Describe()}");
                    continue;
                }
                var keys = new List<string>();
                var lists = new List<SpecSequence>();
                foreach (var e in group.Entries)
                    if (Axis(e, path, seen, errors) is { } list) { keys.Add(e.Key.Value); lists.Add(list); }
                if (group.Entries.Count == 0)
                    errors.Add(group, path, "a zip group needs at least one key");
                else if (lists.Select(l => l.Items.Count).Distinct().Count() > 1)
                    errors.Add(group, path, "lists must have the same length, got " +
                        string.Join(", ", keys.Select((k, i) => $"{k}: {lists[i].Items.Count}")));
                else if (keys.Count > 0)
                    dims.Add(new SweepDimension(keys, lists));
            }
        }
        var plan = new SweepPlan(dims, errors.Count == before);
        if (plan.IsValid && dims.Aggregate(1L, (n, d) => n * d.Length) > MaxPoints)
        {
            errors.Add(map, "sweep", $"expands to {dims.Aggregate(1L, (n, d) => n * d.Length)} points; at most {MaxPoints}");
            return new SweepPlan([], false);
        }
        return plan;
    }

    /// <summary>Checks one swept key and its list; null when either is wrong (reported).</summary>
    private static SpecSequence? Axis(SpecEntry entry, string parent, List<SpecScalar> seen, SpecErrors errors)
    {
        var key = entry.Key.Value;
        var path = SpecPath.Key(parent, key);
        var ok = true;
        if (CheckKey(key) is { } problem)
        {
            errors.Add(entry.Key, path, problem);
            ok = false;
        }
        else if (seen.FirstOrDefault(s => s.Value == key) is { } twice)
        {
            errors.Add(entry.Key, path, $"already swept ({SpecValidation.Where(twice, entry.Key)})");
            ok = false;
        }
        else if (seen.FirstOrDefault(s => key.StartsWith(s.Value + ".", StringComparison.Ordinal) || s.Value.StartsWith(key + ".", StringComparison.Ordinal)) is { } overlap)
        {
            errors.Add(entry.Key, path, $"overlaps with sweep.{overlap.Value}; sweep one or the other");
            ok = false;
        }
        seen.Add(entry.Key);
        switch (entry.Value)
        {
            case SpecSequence { Items.Count: 0 }:
                errors.Add(entry.Value, path, "must list at least one value");
                return null;
            case SpecSequence list:
                return ok ? list : null;
            case SpecScalar { IsBroken: true }:
                return null;
            default:
                errors.Add(entry.Value, path, $"expected a list of values, got {entry.Value.Describe()}");
                return null;
        }
    }

    /// <summary>What is wrong with a swept key path, or null when the schema has it.</summary>
    private static string? CheckKey(string key)
    {
        if (key is "include" or "sweep" || key.StartsWith("sweep.", StringComparison.Ordinal)) return "cannot be swept";
        var section = SpecSchema.Root;
        var prefix = "";
        var parts = key.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var field = section.Field(parts[i]);
            if (field is null)
            {
                var names = section.Fields.Select(f => f.Name).ToList();
                return Suggest.Closest(parts[i], names) is { } s
                    ? $"unknown key; did you mean {prefix}{s}?"
                    : $"unknown key ({(prefix.Length == 0 ? "the spec" : prefix.TrimEnd('.'))} has no key {parts[i]})";
            }
            if (field.NotSweepable) return "cannot be swept";
            if (i == parts.Length - 1) return null;
            prefix += parts[i] + ".";
            switch (field.Type)
            {
                case SchemaType.Section s:
                    section = s;
                    break;
                case SchemaType.Tracking t:
                    section = t.Body;
                    break;
                default:
                    return $"cannot sweep inside {prefix.TrimEnd('.')}; sweep the whole value";
            }
        }
        return null;
    }
}
