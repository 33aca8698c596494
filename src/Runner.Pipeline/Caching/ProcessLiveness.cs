using System.Diagnostics;
using System.Globalization;

namespace Runner.Pipeline.Caching;

/// <summary>
/// Whether a process on this host is still the one that wrote a lock or temp folder. On Linux a pid
/// is identified together with its start time (field 22 of /proc/PID/stat), so a reused pid reads as
/// dead, and a zombie (killed, not yet reaped) reads as dead too.
/// </summary>
internal static class ProcessLiveness
{
    private static readonly Lazy<string> CurrentStart = new(() => StartMarker(Environment.ProcessId) ?? "");

    /// <summary>This host's name as lock files record it.</summary>
    public static string HostName { get; } = Environment.MachineName;

    /// <summary>The start marker of this process ("" where the platform has none).</summary>
    public static string CurrentStartMarker => CurrentStart.Value;

    /// <summary>The start time of <paramref name="pid"/> in clock ticks since boot (Linux), or null.</summary>
    public static string? StartMarker(int pid)
    {
        var fields = StatFields(pid);
        return fields is { Length: > 19 } ? fields[19] : null;
    }

    /// <summary>
    /// False when <paramref name="pid"/> is certainly not the process that recorded
    /// <paramref name="startMarker"/> (gone, a zombie, or a different process with a reused pid).
    /// </summary>
    public static bool IsAlive(int pid, string? startMarker)
    {
        if (pid <= 0) return false;
        if (Directory.Exists("/proc/self"))
        {
            var fields = StatFields(pid);
            if (fields is null || fields.Length < 20) return false;
            if (fields[0] is "Z" or "X" or "x") return false;
            return string.IsNullOrEmpty(startMarker) || fields[19] == startMarker;
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // /proc/PID/stat: "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split
    // after the last ')'. Index 0 is the state (field 3), index 19 the start time (field 22).
    private static string[]? StatFields(int pid)
    {
        try
        {
            var text = File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"));
            var close = text.LastIndexOf(')');
            return close < 0 ? null : text[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
