using Runner.Pipeline.Hooks;
using Runner.Pipeline.Stages;

namespace Runner.Cli;

/// <summary>What a command needs from the outside world; tests supply their own.</summary>
public sealed record CliContext
{
    /// <summary>Standard output.</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error: errors, warnings, progress in plain mode.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>The stages a run may use (the catalog; tests pass test stages).</summary>
    public required Func<IReadOnlyList<IStage>> Stages { get; init; }

    /// <summary>Compiles and runs F# hook scripts (<c>runner hook check</c>; the catalog's hook stages get it through <see cref="Stages"/>). Null: hooks are unavailable.</summary>
    public Func<IScriptHost>? ScriptHost { get; init; }

    /// <summary>What computes, for stage keys (loads libtorch, so asked only when a run needs it).</summary>
    public required Func<string> EnvironmentFingerprint { get; init; }

    /// <summary>True when output is a terminal: live progress bars instead of periodic lines.</summary>
    public bool Interactive { get; init; }

    /// <summary>Relative paths (runs, cache, specs) resolve against this.</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>Environment variables, for ${VAR} in specs and RUNNER_CACHE.</summary>
    public Func<string, string?> GetEnvironment { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Signalled by Ctrl-C: the running stage stops at its next step.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>How often plain-mode progress lines are printed.</summary>
    public TimeSpan PlainProgressInterval { get; init; } = TimeSpan.FromSeconds(10);
}
