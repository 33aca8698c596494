namespace Runner.Pipeline.Spec;

/// <summary>
/// Reads a spec file and, recursively, the fragments its <c>include:</c> names (paths relative to
/// the including file), merging them: includes in order (later wins), then the file's own keys.
/// Every node keeps its own file, so errors point into fragments.
/// </summary>
internal sealed class IncludeResolver(SpecErrors errors, Func<string, string?> environment, Func<string, string> display)
{
    private int _order;
    private int _precedence;

    /// <summary>Absolute paths of every file read, in load order.</summary>
    public List<string> Files { get; } = [];

    /// <summary>The merged top-level mapping of <paramref name="fullPath"/>; null when it cannot be read or parsed (reported).</summary>
    public SpecMapping? Load(string fullPath, string? text, SpecScalar? includedBy, string includePath, IReadOnlyList<string> chain)
    {
        var source = new SpecSource
        {
            Display = display(fullPath),
            BaseDirectory = Path.GetDirectoryName(fullPath) ?? "/",
            FullPath = fullPath,
            Order = _order++,
        };
        if (text is null)
        {
            try
            {
                text = File.ReadAllText(fullPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var why = e is FileNotFoundException or DirectoryNotFoundException ? "file not found" : e.Message;
                if (includedBy is null) errors.AddFile(source.Display, source.Order, $"cannot read spec file: {why}");
                else errors.Add(includedBy, includePath, $"cannot read {source.Display}: {why}");
                return null;
            }
        }
        Files.Add(fullPath);
        var node = SpecYamlReader.Read(text, source, errors);
        if (node is null) return null;
        if (node is not SpecMapping map)
        {
            errors.Add(node, "", $"expected a mapping of spec keys at the top level, got {node.Describe()}");
            return null;
        }

        var result = new SpecMapping(source, map.Line, map.Column, []);
        foreach (var (item, path) in Items(map.Find("include")?.Value))
        {
            if (Interpolator.Apply(item, path, environment, errors) is not SpecScalar { IsBroken: false } s) continue;
            var target = Path.GetFullPath(Path.Combine(source.BaseDirectory, s.Value));
            if (target == fullPath || chain.Contains(target))
            {
                var cycle = chain.SkipWhile(c => c != target).Append(fullPath).Append(target).Select(display);
                errors.Add(s, path, "creates a cycle: " + string.Join(" -> ", cycle));
                continue;
            }
            if (Load(target, null, s, path, [.. chain, fullPath]) is { } fragment)
                result = SpecTree.Merge(result, fragment);
        }
        source.Precedence = _precedence++;
        return SpecTree.Merge(result, map.Without("include"));
    }

    /// <summary>The include entries: one path, or a list of paths.</summary>
    private IEnumerable<(SpecScalar Item, string Path)> Items(SpecNode? node)
    {
        switch (node)
        {
            case null:
                yield break;
            case SpecScalar { IsBroken: true }:
                yield break;
            case SpecScalar s when s.IsNull:
                yield break;
            case SpecScalar s:
                yield return (s, "include");
                break;
            case SpecSequence seq:
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    var path = SpecPath.Index("include", i);
                    if (seq.Items[i] is SpecScalar { IsNull: false } x) yield return (x, path);
                    else errors.Add(seq.Items[i], path, $"expected a path, got {seq.Items[i].Describe()}");
                }
                break;
            default:
                errors.Add(node, "include", $"expected a path or a list of paths, got {node.Describe()}");
                break;
        }
    }
}
