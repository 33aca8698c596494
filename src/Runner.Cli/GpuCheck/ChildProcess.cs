using System.Diagnostics;

namespace Runner.Cli.GpuCheck;

/// <summary>What a child process did: exit code (-1 when it could not start, 124 when it ran out of time), stdout, and its log.</summary>
public sealed record ChildResult(int ExitCode, string Stdout, string Log, double Seconds)
{
    /// <summary>True when the process exited 0.</summary>
    public bool Ok => ExitCode == 0;

    /// <summary>The last lines of the log (stdout and stderr), for a failure message.</summary>
    public string Tail(int lines = 8)
    {
        var all = File.Exists(Log) ? File.ReadAllLines(Log) : [];
        return string.Join(Environment.NewLine, all.Skip(Math.Max(0, all.Length - lines)));
    }
}

/// <summary>Runs a child process with a time limit, writing stdout and stderr to a log and keeping stdout.</summary>
public static class ChildProcess
{
    /// <summary>Exit code of a child stopped at its time limit (as timeout(1)).</summary>
    public const int TimedOut = 124;

    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>; never throws for the child's own failure.</summary>
    public static ChildResult Run(string program, IEnumerable<string> args, string workingDirectory, string log, TimeSpan limit,
        IReadOnlyDictionary<string, string>? environment = null, CancellationToken ct = default)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(log))!);
        var info = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["CI"] = "1";   // plain progress lines, no live display
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) info.Environment[k] = v;
        var stdout = new System.Text.StringBuilder();
        var sw = Stopwatch.StartNew();
        using var writer = new StreamWriter(log, append: false) { AutoFlush = true };
        writer.WriteLine($"$ {program} {string.Join(' ', info.ArgumentList.Select(Quote))}");
        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => { if (e.Data is null) return; lock (writer) { writer.WriteLine(e.Data); stdout.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is null) return; lock (writer) writer.WriteLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            writer.WriteLine($"could not start {program}: {e.Message}");
            return new ChildResult(-1, "", log, 0);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool exited;
        using (ct.Register(() => Kill(process)))
            exited = process.WaitForExit(limit > TimeSpan.Zero ? limit : TimeSpan.FromSeconds(1));
        if (!exited)
        {
            Kill(process);
            process.WaitForExit();
            lock (writer) writer.WriteLine($"stopped after {limit.TotalSeconds:F0} s (the time budget of this step)");
            return new ChildResult(TimedOut, stdout.ToString(), log, sw.Elapsed.TotalSeconds);
        }
        process.WaitForExit();   // drains the asynchronous readers
        ct.ThrowIfCancellationRequested();
        return new ChildResult(process.ExitCode, stdout.ToString(), log, sw.Elapsed.TotalSeconds);
    }

    private static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_./:=,+".Contains(c)) ? a : $"'{a.Replace("'", "'\\''")}'";
}
