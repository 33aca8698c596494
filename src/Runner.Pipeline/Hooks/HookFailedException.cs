using Runner.Core;

namespace Runner.Pipeline.Hooks;

/// <summary>A hook script threw: the message is the script's, prefixed with the script's name (and line, when known).</summary>
public sealed class HookFailedException(string script, Exception inner, string? location = null)
    : RunnerException($"hook {location ?? Path.GetFileName(script)} failed: {inner.Message}", inner: inner)
{
    /// <summary>The script that threw.</summary>
    public string Script { get; } = script;
}
