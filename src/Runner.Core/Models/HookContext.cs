namespace Runner.Core.Models;

/// <summary>What a hook is told about the activation it sees.</summary>
/// <param name="Point">The hook point.</param>
/// <param name="StartPosition">Absolute position of the activation's first token (&gt; 0 when earlier tokens sit in a KV cache).</param>
public readonly record struct HookContext(HookPoint Point, long StartPosition);
