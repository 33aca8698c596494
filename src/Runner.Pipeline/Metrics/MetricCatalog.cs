namespace Runner.Pipeline.Metrics;

/// <summary>
/// Every metric Runner writes, with its definition and version (docs/metrics.md is generated from this table by
/// <c>runner metrics --markdown</c>). A pattern is dot-separated segments, each a literal (<c>*</c> inside one stands
/// for any dot-free text: <c>hooks*</c>), <c>&lt;name&gt;</c> (one dot-free segment) or <c>&lt;name...&gt;</c> (one or
/// more segments, for names that may hold dots: a steering label such as <c>bridge_x0.5</c>).
/// </summary>
public static partial class MetricCatalog
{
    /// <summary>Every definition, in the order docs list them.</summary>
    public static IReadOnlyList<MetricDefinition> All { get; } = [.. Pretrain(), .. Capture(), .. Train(), .. Evaluate(), .. Steer(), .. HookScripts()];

    /// <summary>The prefix of the MLflow tag that records a definition's version: <c>runner.metric_def.&lt;id&gt;</c>.</summary>
    public const string TagPrefix = "runner.metric_def.";

    private static readonly Dictionary<string, MetricDefinition> ById = All.ToDictionary(d => d.Id, StringComparer.Ordinal);

    /// <summary>The definition covering <paramref name="metricName"/> (stage-prefixed, as in metrics.json), or null.</summary>
    public static MetricDefinition? Find(string metricName)
    {
        ArgumentNullException.ThrowIfNull(metricName);
        MetricDefinition? best = null;
        var bestLiterals = -1;
        foreach (var d in All)
        {
            if (!Matches(d.Pattern, metricName)) continue;
            // Where two patterns cover a name, the one with more literal segments is the more specific.
            var literals = Segments(d.Pattern).Count(s => !s.StartsWith('<'));
            if (literals > bestLiterals) (best, bestLiterals) = (d, literals);
        }
        return best;
    }

    /// <summary>The definition with id <paramref name="id"/>, or null.</summary>
    public static MetricDefinition? FindById(string id) => ById.GetValueOrDefault(id);

    /// <summary>Every definition any of <paramref name="metricNames"/> uses: id -> current version, sorted by id.</summary>
    public static SortedDictionary<string, int> VersionsFor(IEnumerable<string> metricNames)
    {
        var versions = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var name in metricNames)
            if (Find(name) is { } d) versions[d.Id] = d.Version;
        return versions;
    }

    /// <summary>
    /// What a verdict says when a record used version <paramref name="recordedVersion"/> of <paramref name="definition"/>:
    /// <c>definition changed: v1 → v2 (v2, since 0.2.0: what changed)</c>; for a version newer than this Runner knows,
    /// <c>definition changed: v3 → v2 (recorded by a newer Runner; this one knows ID up to v2)</c>; <c>definition unchanged: v2</c> when equal.
    /// </summary>
    public static string DescribeChange(MetricDefinition definition, int recordedVersion)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var current = definition.Version;
        if (recordedVersion == current) return $"definition unchanged: v{current}";
        var head = $"definition changed: v{recordedVersion} → v{current}";
        if (recordedVersion > current) return head + $" (recorded by a newer Runner; this one knows {definition.Id} up to v{current})";
        var changes = definition.History.Where(c => c.Version > recordedVersion && c.Version <= current)
            .Select(c => $"v{c.Version}, since {c.Since}: {c.What}").ToList();
        return head + (changes.Count > 0 ? $" ({string.Join("; ", changes)})" : " (no record of what changed)");
    }

    /// <summary>True when <paramref name="name"/> is a valid definition id: letters, digits, <c>_</c>, <c>.</c>, <c>-</c>, no empty segment.</summary>
    public static bool IsValidId(string name) =>
        name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-') && name.Split('.').All(s => s.Length > 0);

    /// <summary>True when <paramref name="pattern"/> (see the class summary) covers <paramref name="name"/>.</summary>
    public static bool Matches(string pattern, string name) => Match(Segments(pattern), 0, name.Split('.'), 0);

    /// <summary>A pattern's segments: split at the dots outside <c>&lt;…&gt;</c> (<c>&lt;name...&gt;</c> holds dots of its own).</summary>
    public static string[] Segments(string pattern)
    {
        var segments = new List<string>();
        int depth = 0, start = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '<') depth++;
            else if (pattern[i] == '>') depth--;
            else if (pattern[i] == '.' && depth == 0)
            {
                segments.Add(pattern[start..i]);
                start = i + 1;
            }
        }
        segments.Add(pattern[start..]);
        return [.. segments];
    }

    private static bool Match(string[] pattern, int p, string[] name, int n)
    {
        if (p == pattern.Length) return n == name.Length;
        if (n == name.Length) return false;
        var segment = pattern[p];
        if (segment.StartsWith('<') && segment.EndsWith("...>", StringComparison.Ordinal))
        {
            // one or more segments: try the shortest first, leaving room for the rest of the pattern
            for (var end = n + 1; end <= name.Length - (pattern.Length - p - 1); end++)
                if (name[n..end].All(s => s.Length > 0) && Match(pattern, p + 1, name, end)) return true;
            return false;
        }
        if (segment.StartsWith('<')) return name[n].Length > 0 && Match(pattern, p + 1, name, n + 1);
        return Glob(segment, name[n]) && Match(pattern, p + 1, name, n + 1);
    }

    // A literal segment, where '*' stands for any (possibly empty) dot-free text.
    private static bool Glob(string literal, string text)
    {
        var star = literal.IndexOf('*');
        if (star < 0) return literal == text;
        var (prefix, suffix) = (literal[..star], literal[(star + 1)..]);
        return text.Length >= prefix.Length + suffix.Length && text.StartsWith(prefix, StringComparison.Ordinal) && text.EndsWith(suffix, StringComparison.Ordinal);
    }

    // A definition whose id is its pattern with the variable segments left out (evaluate.topic.<topic>.precision -> evaluate.topic.precision).
    private static MetricDefinition D(string pattern, MetricKind kind, MetricDirection direction, string formula, string convention, string? id = null) => new()
    {
        Id = id ?? string.Join('.', Segments(pattern).Where(s => !s.StartsWith('<'))),
        Pattern = pattern,
        Formula = formula,
        Convention = convention,
        Kind = kind,
        Direction = direction,
    };
}
