using System.Text;
using System.Text.RegularExpressions;

namespace Runner.Pipeline.Spec;

/// <summary>
/// <c>${VAR}</c> and <c>${VAR:-default}</c> in scalar values (not keys); <c>$${</c> is a literal
/// <c>${</c>. The default may itself hold <c>${…}</c>. A plain scalar stays plain, so
/// <c>k: ${K:-32}</c> is the integer 32. A quoted value that is exactly one <c>${…}</c> is typed the
/// same way (flow mappings need the quotes: <c>{ k: "${K}" }</c>); other quoted text stays a string,
/// and so does anything tagged <c>!!str</c>.
/// </summary>
internal static partial class Interpolator
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex NamePattern();

    /// <summary>The tree with every scalar value interpolated; a failing scalar is reported and marked broken.</summary>
    public static SpecNode Apply(SpecNode node, string path, Func<string, string?> env, SpecErrors errors)
    {
        switch (node)
        {
            case SpecScalar s:
                if (s.IsBroken || !s.Value.Contains('$')) return s;
                var error = (string?)null;
                var text = Expand(s.Value, env, ref error);
                var whole = !s.IsPlain && !s.IsStrTagged && s.Value.StartsWith("${", StringComparison.Ordinal) && Close(s.Value, 2) == s.Value.Length - 1;
                if (error is null) return s.WithValue(text, whole ? true : null);
                errors.Add(s, path, error);
                return s.AsBroken();
            case SpecSequence seq:
                var items = seq.Items.Select((x, i) => Apply(x, SpecPath.Index(path, i), env, errors)).ToList();
                return items.SequenceEqual(seq.Items) ? seq : new SpecSequence(seq.Source, seq.Line, seq.Column, items);
            case SpecMapping map:
                var entries = map.Entries.Select(e => e with { Value = Apply(e.Value, SpecPath.Key(path, e.Key.Value), env, errors) }).ToList();
                return entries.Select(e => e.Value).SequenceEqual(map.Entries.Select(e => e.Value))
                    ? map : new SpecMapping(map.Source, map.Line, map.Column, entries);
            default:
                return node;
        }
    }

    /// <summary>Expands one string; sets <paramref name="error"/> (first problem) instead of throwing.</summary>
    public static string Expand(string s, Func<string, string?> env, ref string? error)
    {
        var sb = new StringBuilder(s.Length);
        var i = 0;
        while (i < s.Length)
        {
            if (s[i] == '$' && i + 2 < s.Length && s[i + 1] == '$' && s[i + 2] == '{')
            {
                sb.Append("${");
                i += 3;
                continue;
            }
            if (s[i] != '$' || i + 1 >= s.Length || s[i + 1] != '{')
            {
                sb.Append(s[i++]);
                continue;
            }
            var end = Close(s, i + 2);
            if (end < 0)
            {
                error ??= $"unterminated ${{ in {SpecScalar.Quote(s)} (write $${{ for a literal ${{)";
                return s;
            }
            var inner = s[(i + 2)..end];
            var sep = inner.IndexOf(":-", StringComparison.Ordinal);
            var name = sep >= 0 ? inner[..sep] : inner;
            if (!NamePattern().IsMatch(name))
            {
                error ??= $"invalid variable name {SpecScalar.Quote(name)} in ${{{inner}}}";
                return s;
            }
            var value = env(name);
            if (sep >= 0 && string.IsNullOrEmpty(value))
                value = Expand(inner[(sep + 2)..], env, ref error);
            else if (value is null)
            {
                error ??= $"environment variable {name} is not set (write ${{{name}:-default}} to give a default)";
                return s;
            }
            sb.Append(value);
            i = end + 1;
        }
        return sb.ToString();
    }

    /// <summary>Index of the <c>}</c> closing a <c>${</c> whose name starts at <paramref name="start"/>; -1 if none.</summary>
    private static int Close(string s, int start)
    {
        var depth = 1;
        for (var j = start; j < s.Length; j++)
        {
            if (s[j] == '$' && j + 1 < s.Length && s[j + 1] == '{') { depth++; j++; }
            else if (s[j] == '}' && --depth == 0) return j;
        }
        return -1;
    }
}
