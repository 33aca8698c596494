using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Runner.Pipeline.Spec;

/// <summary>
/// Readable, filesystem-safe run names from what a sweep varies: <c>k=32,dict_size=4096</c>. Keys
/// are their last segment unless two swept keys share it (then the full path); values as written
/// (integers without digit groups). Other characters become <c>_</c>; long names are shortened
/// with a hash; names that still collide get <c>~2</c>, <c>~3</c>.
/// </summary>
internal static class RunNames
{
    public const int MaxLength = 100;

    public static IReadOnlyList<string> For(SweepPlan plan)
    {
        var keys = plan.Keys;
        var last = keys.ToDictionary(k => k, k => k[(k.LastIndexOf('.') + 1)..]);
        var shown = keys.ToDictionary(k => k, k => keys.Count(o => last[o] == last[k]) > 1 ? k : last[k]);
        var names = new List<string>();
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var p = 0; p < plan.PointCount; p++)
        {
            var name = Safe(string.Join(',', plan.Point(p).Select(kv => $"{shown[kv.Key]}={Label(kv.Value)}")));
            used[name] = used.GetValueOrDefault(name) + 1;
            names.Add(used[name] == 1 ? name : $"{name}~{used[name]}");
        }
        return names;
    }

    /// <summary>A value as the run name shows it.</summary>
    public static string Label(SpecNode node) => node switch
    {
        SpecScalar { IsPlain: true } s when ScalarParser.Parse(s.Value) is { Kind: ScalarKind.Int } p => p.Int.ToString(CultureInfo.InvariantCulture),
        SpecScalar s => s.Value,
        SpecSequence seq => "[" + string.Join(',', seq.Items.Select(Label)) + "]",
        SpecMapping map => "{" + string.Join(',', map.Entries.Select(e => $"{e.Key.Value}={Label(e.Value)}")) + "}",
        _ => "",
    };

    private static string Safe(string name)
    {
        var sb = new StringBuilder(name.Length);
        foreach (var c in name)
            sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ',' or '=' or '+' or '-' ? c : '_');
        var safe = sb.ToString();
        if (safe.Length <= MaxLength) return safe;
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
        return safe[..(MaxLength - 9)] + "~" + hash;
    }
}
