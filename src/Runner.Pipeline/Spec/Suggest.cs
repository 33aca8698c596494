namespace Runner.Pipeline.Spec;

/// <summary>"Did you mean …" by edit distance (optimal string alignment: a transposition counts as one edit).</summary>
internal static class Suggest
{
    /// <summary>The closest candidate, when it is close enough to be a likely typo; else null.</summary>
    public static string? Closest(string input, IEnumerable<string> candidates)
    {
        var lower = input.ToLowerInvariant();
        var limit = Math.Max(1, input.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Distance(lower, c.ToLowerInvariant());
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        if (best is not null && bestDistance <= limit) return best;
        // A truncated key ("arch" for "architecture") is a typo too.
        var prefixed = input.Length >= 3 ? candidates.Where(c => c.StartsWith(input, StringComparison.OrdinalIgnoreCase)).Take(2).ToList() : [];
        return prefixed.Count == 1 ? prefixed[0] : null;
    }

    public static string UnknownKey(string key, IReadOnlyList<string> allowed) =>
        Closest(key, allowed) is { } s ? $"unknown key; did you mean {s}?" : $"unknown key (expected one of {string.Join(", ", allowed)})";

    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        for (var j = 1; j <= b.Length; j++)
        {
            var cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
        }
        return d[a.Length, b.Length];
    }
}
