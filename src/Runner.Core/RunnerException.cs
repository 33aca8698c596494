namespace Runner.Core;

/// <summary>
/// The root of Runner's expected failures: bad input, a failed stage, a missing file. The CLI
/// renders these as one actionable line without a stack trace and exits with <see cref="ExitCode"/>;
/// any other exception is a bug and keeps its stack trace.
/// </summary>
public class RunnerException : Exception
{
    /// <summary>Creates the exception; <paramref name="exitCode"/> 1 = failed, 2 = bad spec or usage.</summary>
    public RunnerException(string message, int exitCode = 1, Exception? inner = null) : base(message, inner) => ExitCode = exitCode;

    /// <summary>The process exit code the CLI uses: 1 failed, 2 bad spec or usage, 130 cancelled.</summary>
    public int ExitCode { get; }
}
