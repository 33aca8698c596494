using System.Diagnostics;
using System.Reflection;

namespace Runner.Pipeline.Tracking;

/// <summary>
/// What a run's tags record about where it was logged from, captured when the run folder is handed to
/// tracking and kept in its spool, so a replay later (another commit, another user) tags it as it was.
/// </summary>
public sealed record TrackingContext
{
    /// <summary>The MLflow user (<c>mlflow.user</c>, the run's user_id): LOGNAME, USER, LNAME or USERNAME as Python's getpass reads them.</summary>
    public string User { get; init; } = "unknown";

    /// <summary>The git commit of the working directory (<c>mlflow.source.git.commit</c>); null outside a repository or without git.</summary>
    public string? GitCommit { get; init; }

    /// <summary>Whether tracked files had uncommitted changes (<c>runner.git_dirty</c>); null when unknown.</summary>
    public bool? GitDirty { get; init; }

    /// <summary>The Runner version (<c>runner.version</c>).</summary>
    public string RunnerVersion { get; init; } = CurrentVersion;

    /// <summary><c>mlflow.source.name</c>.</summary>
    public string SourceName { get; init; } = "runner";

    /// <summary>This build's version (informational version of the assembly, without a source-link suffix).</summary>
    public static string CurrentVersion { get; } =
        (typeof(TrackingContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown").Split('+')[0];

    /// <summary>The context of this process: user from <paramref name="environment"/>, git state of <paramref name="workingDirectory"/>.</summary>
    public static TrackingContext Capture(string workingDirectory, Func<string, string?> environment)
    {
        var user = new[] { "LOGNAME", "USER", "LNAME", "USERNAME" }.Select(environment).FirstOrDefault(v => !string.IsNullOrEmpty(v)) ?? Environment.UserName;
        var commit = Git(workingDirectory, "rev-parse", "HEAD")?.Trim();
        bool? dirty = null;
        if (commit is { Length: > 0 } && Git(workingDirectory, "status", "--porcelain", "--untracked-files=no") is { } status) dirty = status.Trim().Length > 0;
        return new TrackingContext { User = string.IsNullOrEmpty(user) ? "unknown" : user, GitCommit = string.IsNullOrEmpty(commit) ? null : commit, GitDirty = dirty };
    }

    private static string? Git(string workingDirectory, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo("git") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var process = Process.Start(info);
            if (process is null) return null;
            var output = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(5000))
            {
                process.Kill(entireProcessTree: true);
                return null;
            }
            return process.ExitCode == 0 ? output.Result : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }
}
