using Runner.Core;

namespace Runner.Pipeline.Spec;

/// <summary>A spec that cannot run: every error found, one per line, in file order. Exit code 2.</summary>
public sealed class SpecException : RunnerException
{
    /// <summary>Creates the exception from a non-empty list of errors.</summary>
    public SpecException(IReadOnlyList<SpecError> errors) : base(string.Join('\n', errors), exitCode: 2) => Errors = errors;

    /// <summary>Every error, in file order (files in load order, then <c>--set</c> overrides).</summary>
    public IReadOnlyList<SpecError> Errors { get; }
}
