using System.CommandLine;
using Runner.Pipeline.Spec;

namespace Runner.Cli.Commands;

/// <summary>What the spec-reading commands share: <c>--set</c>, load options, error rendering.</summary>
internal static class SpecOptions
{
    /// <summary><c>--set key.path=value</c>, repeatable.</summary>
    public static Option<string[]> Set() => new("--set")
    {
        Description = "Override a spec key, typed and validated like the file: --set sae.k=64 (repeatable; later wins).",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Load options for <paramref name="overrides"/>, plus <c>device=…</c> when <paramref name="device"/> is given (it wins).</summary>
    public static SpecLoadOptions LoadOptions(CliContext context, string[]? overrides, string? device) => new()
    {
        Overrides = [.. overrides ?? [], .. device is null ? Array.Empty<string>() : [$"device={device}"]],
        Environment = context.GetEnvironment,
        WorkingDirectory = context.WorkingDirectory,
    };

    /// <summary>Every error on its own line (file:line:col: key.path: message), then a count.</summary>
    public static void WriteErrors(CliContext context, IReadOnlyList<SpecError> errors)
    {
        foreach (var e in errors) context.Error.WriteLine(e.ToString());
        context.Error.WriteLine(errors.Count == 1 ? "1 error" : $"{errors.Count} errors");
    }
}
