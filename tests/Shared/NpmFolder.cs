using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Runner.Tests.Shared;

/// <summary>
/// A folder tests/&lt;name&gt; holding a package.json with pinned versions, its package-lock.json and a
/// node script. <see cref="Run"/> installs the packages with <c>npm ci</c> when node_modules is missing
/// or incomplete (under a lock shared by every test process, since test assemblies run in parallel),
/// then runs the script with node and returns its stdout. Without node and npm, <see cref="SkipReason"/>
/// says so; tests then fail when the CI variable is set and skip otherwise (<see cref="SkipOrFail"/>).
/// </summary>
internal sealed class NpmFolder
{
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(4);
    private readonly Lock _installLock = new();
    private bool _installed;

    public NpmFolder(string name)
    {
        Directory = Find(name);
        if (!CanRun("node") || !CanRun("npm"))
            SkipReason = $"Node.js and npm are not installed; install them (Debian: apt-get install nodejs npm) to compare with the independent readers of tests/{name}";
    }

    /// <summary>The absolute folder.</summary>
    public string Directory { get; }

    /// <summary>Why the scripts cannot run here, or null.</summary>
    public string? SkipReason { get; }

    /// <summary>Skips the calling test when node is missing, or fails it when the CI variable is set.</summary>
    public void SkipOrFail()
    {
        if (SkipReason is null) return;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) Assert.Fail($"CI is set: {SkipReason}");
        Assert.Skip(SkipReason);
    }

    /// <summary>Runs <c>node <paramref name="script"/> <paramref name="args"/></c> in the folder and returns stdout.</summary>
    public string Run(string script, IEnumerable<string> args, TimeSpan timeout)
    {
        if (SkipReason is not null) throw new InvalidOperationException(SkipReason);
        EnsureInstalled();
        return Execute("node", [script, .. args], timeout);
    }

    private void EnsureInstalled()
    {
        lock (_installLock)
        {
            if (_installed) return;
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Directory)))[..16];
            var lockPath = Path.Combine(Path.GetTempPath(), $"runner-npm-{hash}.lock");
            using (AcquireFileLock(lockPath))
            {
                // npm ci writes node_modules/.package-lock.json last: without it the folder is incomplete.
                if (!File.Exists(Path.Combine(Directory, "node_modules", ".package-lock.json")))
                    Execute("npm", ["ci", "--no-audit", "--no-fund"], NpmTimeout);
            }
            _installed = true;
        }
    }

    private static FileStream AcquireFileLock(string path)
    {
        var deadline = DateTime.UtcNow + NpmTimeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }

    private string Execute(string program, string[] args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {p.ExitCode}: {Tail(stderr.Result)}");
        return stdout.Result;
    }

    private static string Find(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", name);
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }
        throw new InvalidOperationException($"tests/{name} not found above {AppContext.BaseDirectory}");
    }

    private static bool CanRun(string program)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(program, "--version") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.StandardOutput.ReadToEnd();
            return p.WaitForExit(30_000) && p.ExitCode == 0;
        }
        catch (Win32Exception)
        {
            return false;
        }
    }

    private static string Tail(string s) => s.Length <= 2000 ? s : "..." + s[^2000..];
}
