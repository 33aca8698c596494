using System.Text;
using System.Text.RegularExpressions;

namespace Runner.Core.Data.Text;

/// <summary>
/// File-name globbing: <c>*</c> (any run of characters within a name), <c>?</c> (one character),
/// <c>[abc]</c>, <c>[a-z]</c>, <c>[!abc]</c> (one character of / not of a set) and <c>**</c> as a whole
/// segment (zero or more folders). As in shells and Python's glob, wildcards do not match names that
/// begin with '.' unless the pattern's segment does, and <c>**</c> does not descend into such folders
/// nor into symlinked folders (no cycles). Matching is case-sensitive.
/// </summary>
internal static class Glob
{
    private static readonly EnumerationOptions Listing = new() { AttributesToSkip = 0, IgnoreInaccessible = true, RecurseSubdirectories = false };

    /// <summary>The files <paramref name="pattern"/> matches, as absolute paths (unsorted, possibly repeated).</summary>
    public static List<string> Match(string pattern)
    {
        var full = Path.IsPathRooted(pattern) ? pattern : Path.Combine(Directory.GetCurrentDirectory(), pattern);
        var segments = full.Split('/');
        var firstWild = Array.FindIndex(segments, IsWild);
        var found = new List<string>();
        if (firstWild < 0)
        {
            var path = Path.GetFullPath(full);
            if (File.Exists(path)) found.Add(path);
            return found;
        }
        var root = firstWild == 0 ? "/" : string.Join('/', segments[..firstWild]);
        if (root.Length == 0) root = "/";
        root = Path.GetFullPath(root);
        if (Directory.Exists(root)) Walk(root, segments, firstWild, found);
        return found;
    }

    private static bool IsWild(string segment) => segment.IndexOfAny(['*', '?', '[']) >= 0;

    private static void Walk(string dir, string[] segments, int index, List<string> found)
    {
        var segment = segments[index];
        var last = index == segments.Length - 1;
        if (segment == "**")
        {
            if (last)
                found.AddRange(Directory.EnumerateFiles(dir, "*", Listing).Where(f => !Path.GetFileName(f).StartsWith('.')));
            else
                Walk(dir, segments, index + 1, found);                    // zero folders
            foreach (var sub in Directory.EnumerateDirectories(dir, "*", Listing))
                if (!Path.GetFileName(sub).StartsWith('.') && new DirectoryInfo(sub).LinkTarget is null)
                    Walk(sub, segments, index, found);                     // one more folder
            return;
        }
        if (segment.Length == 0 || segment == ".")
        {
            if (!last) Walk(dir, segments, index + 1, found);
            return;
        }
        if (!IsWild(segment))
        {
            var path = Path.GetFullPath(Path.Combine(dir, segment));
            if (last ? File.Exists(path) : Directory.Exists(path))
            {
                if (last) found.Add(path);
                else Walk(path, segments, index + 1, found);
            }
            return;
        }
        var regex = SegmentRegex(segment);
        var dotOk = segment.StartsWith('.');
        var entries = last ? Directory.EnumerateFiles(dir, "*", Listing) : Directory.EnumerateDirectories(dir, "*", Listing);
        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            if ((dotOk || !name.StartsWith('.')) && regex.IsMatch(name))
            {
                if (last) found.Add(entry);
                else Walk(entry, segments, index + 1, found);
            }
        }
    }

    /// <summary>One path segment's pattern as an anchored regex.</summary>
    internal static Regex SegmentRegex(string segment)
    {
        var sb = new StringBuilder("^");
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            switch (c)
            {
                case '*':
                    sb.Append("[^/]*");
                    while (i + 1 < segment.Length && segment[i + 1] == '*') i++;   // "a**b" is "a*b"
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var j = i + 1;
                    if (j < segment.Length && segment[j] is '!' or '^') j++;
                    if (j < segment.Length && segment[j] == ']') j++;            // a leading ']' is a member, as in fnmatch
                    var close = segment.IndexOf(']', j);
                    if (close < 0)
                    {
                        sb.Append(@"\[");                                      // no closing bracket: a literal '['
                        break;
                    }
                    var body = segment[(i + 1)..close];
                    var negate = body[0] is '!' or '^';
                    sb.Append(negate ? "[^" : "[");
                    foreach (var b in negate ? body[1..] : body) sb.Append(b is '\\' or '[' or ']' or '^' ? "\\" + b : b.ToString());
                    sb.Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant | RegexOptions.Singleline);
    }
}
