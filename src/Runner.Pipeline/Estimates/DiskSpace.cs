using System.Globalization;
using Runner.Core;

namespace Runner.Pipeline.Estimates;

/// <summary>Free space of the file system a path is (or will be) on.</summary>
public static class DiskSpace
{
    /// <summary>
    /// Overrides the free-space figure with a number of bytes (suffixes K, M, G, T: powers of 1024) — for tests and
    /// CI, to exercise the "does not fit" refusal without filling a disk.
    /// </summary>
    public const string OverrideVariable = "RUNNER_DISK_FREE";

    /// <summary>
    /// Bytes available to this user on <paramref name="path"/>'s file system (its nearest existing ancestor when
    /// it does not exist yet), or the <see cref="OverrideVariable"/> figure; null when neither can be found.
    /// </summary>
    public static long? Free(string path, Func<string, string?> getEnvironment)
    {
        if (getEnvironment(OverrideVariable) is { Length: > 0 } text) return Parse(text);
        var dir = Path.GetFullPath(path);
        while (!Directory.Exists(dir))
        {
            var parent = Path.GetDirectoryName(dir);
            if (parent is null || parent == dir) return null;
            dir = parent;
        }
        try
        {
            return new DriveInfo(dir).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Parses <c>123</c>, <c>500M</c>, <c>2G</c>, <c>1.5T</c>.</summary>
    public static long Parse(string text)
    {
        var t = text.Trim().TrimEnd('B', 'b').TrimEnd('i');
        var scale = 1L;
        if (t.Length > 0 && "KMGTkmgt".Contains(t[^1]))
        {
            scale = 1L << (10 * ("KMGT".IndexOf(char.ToUpperInvariant(t[^1])) + 1));
            t = t[..^1];
        }
        if (!double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
            throw new RunnerException($"{OverrideVariable}: expected a number of bytes (e.g. 500M, 2G), got '{text}'", 2);
        return (long)(value * scale);
    }
}
