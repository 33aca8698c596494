using System.Globalization;
using System.Text.RegularExpressions;

namespace Runner.Pipeline.Spec;

/// <summary>One step of a key path: a key, a list index (<c>[0]</c>), or bare digits that mean either.</summary>
internal readonly partial record struct PathSegment(string? Key, int? Index)
{
    [GeneratedRegex(@"^(?<key>[^\[\]]*)(?<idx>(?<one>\[[0-9]+\])*)$")]
    private static partial Regex Part();

    /// <summary>Parses <c>a.b[0].c</c> or <c>a.b.0.c</c>; null when malformed.</summary>
    public static IReadOnlyList<PathSegment>? Parse(string path)
    {
        var result = new List<PathSegment>();
        foreach (var part in path.Split('.'))
        {
            var m = Part().Match(part);
            var key = m.Success ? m.Groups["key"].Value : "";
            if (!m.Success || (key.Length == 0 && m.Groups["idx"].Length == 0)) return null;
            if (key.Length > 0)
                result.Add(new PathSegment(key, key.All(char.IsAsciiDigit) && key.Length < 9 ? int.Parse(key, CultureInfo.InvariantCulture) : null));
            foreach (Capture c in m.Groups["one"].Captures)
                result.Add(new PathSegment(null, int.Parse(c.Value[1..^1], CultureInfo.InvariantCulture)));
        }
        return result.Count > 0 && result[0].Key is not null ? result : null;
    }

    /// <summary>The path as errors show it: <c>steer.clamps[0].value</c>.</summary>
    public static string Display(IReadOnlyList<PathSegment> segments)
    {
        var path = "";
        foreach (var s in segments)
            path = s.Index is { } i && (s.Key is null || s.Key.All(char.IsAsciiDigit)) ? SpecPath.Index(path, i) : SpecPath.Key(path, s.Key!);
        return path;
    }
}
