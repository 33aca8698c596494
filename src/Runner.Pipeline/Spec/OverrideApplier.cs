namespace Runner.Pipeline.Spec;

/// <summary>
/// Applies <c>--set key.path=value</c> overrides to the merged tree, in order. The value is read as a
/// YAML flow node (<c>64</c>, <c>[a, b]</c>, <c>{source: hf, id: gpt2}</c>; empty = null, i.e. the
/// default), so it is typed and validated like the file. Errors render as <c>--set key=value: …</c>.
/// <c>sweep.KEY.PATH=[…]</c> sets one swept key; overriding a swept key pins it (drops it from the sweep).
/// </summary>
internal static class OverrideApplier
{
    public static SpecMapping Apply(SpecMapping root, IReadOnlyList<string> overrides, string workingDirectory, SpecErrors errors)
    {
        for (var n = 0; n < overrides.Count; n++)
        {
            var text = overrides[n];
            var source = new SpecSource
            {
                Display = text,
                BaseDirectory = workingDirectory,
                IsOverride = true,
                Order = 1_000_000 + n,
                Precedence = 1_000_000 + n,
            };
            var eq = text.IndexOf('=');
            var segments = eq > 0 ? PathSegment.Parse(text[..eq].Trim()) : null;
            if (segments is null)
            {
                errors.Add(source, 0, 0, "", "expected key.path=value (e.g. sae.k=64)");
                continue;
            }
            if (segments[0].Key == "include")
            {
                errors.Add(source, 0, 0, "include", "cannot be overridden; name fragments in the spec's include list");
                continue;
            }
            if (segments[0].Key == "sweep" && segments.Count > 1)
                segments = [segments[0], new PathSegment(string.Join('.', text[..eq].Trim().Split('.').Skip(1)), null)];
            var path = segments[0].Key == "sweep" && segments.Count > 1 ? "sweep." + segments[1].Key : PathSegment.Display(segments);

            var valueText = text[(eq + 1)..];
            SpecNode? value;
            if (valueText.Trim().Length == 0)
                value = new SpecScalar(source, 0, 0, "", true);
            else
            {
                var local = new SpecErrors();
                value = SpecYamlReader.Read(valueText, source, local, path);
                errors.AddRange(local.All.Select(e => e with { KeyPath = path }));
                if (value is null) continue;
            }

            if (segments[0].Key != "sweep" && segments.All(s => s.Key is not null))
                root = Pin(root, string.Join('.', segments.Select(s => s.Key)), source, path, errors);
            var failed = false;
            var updated = SpecTree.Set(root, segments, 0, value, message =>
            {
                errors.Add(source, 0, 0, path, message);
                failed = true;
            });
            if (!failed) root = (SpecMapping)updated;
        }
        return root;
    }

    /// <summary>An override of a key the sweep varies fixes it: the key leaves the sweep.</summary>
    private static SpecMapping Pin(SpecMapping root, string key, SpecSource source, string path, SpecErrors errors)
    {
        if (root.Find("sweep") is not { Value: SpecMapping sweep } entry) return root;
        if (sweep.Find(key) is not null) return root.With(entry.Key, sweep.Without(key));
        var groups = sweep.Find("zip")?.Value switch
        {
            SpecMapping m => [m],
            SpecSequence s => s.Items.OfType<SpecMapping>().ToList(),
            _ => [],
        };
        for (var g = 0; g < groups.Count; g++)
            if (groups[g].Find(key) is not null)
                errors.Add(source, 0, 0, path, $"is swept together with other keys in sweep.zip{(sweep.Find("zip")!.Value is SpecSequence ? $"[{g}]" : "")}; override sweep.zip instead");
        return root;
    }
}
