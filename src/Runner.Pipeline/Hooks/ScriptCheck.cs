namespace Runner.Pipeline.Hooks;

/// <summary>The outcome of compiling a hook script.</summary>
public sealed record ScriptCheck
{
    /// <summary>The script (absolute path).</summary>
    public required string Script { get; init; }

    /// <summary>Errors, each <c>file(line,col): error FSxxxx: message</c> with the script's own positions; empty when it compiled.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>Warnings, formatted like <see cref="Errors"/>.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>True when the compiled form came from the compile cache (nothing was compiled).</summary>
    public bool FromCache { get; init; }

    /// <summary>Seconds spent compiling (0 from the cache).</summary>
    public double Seconds { get; init; }

    /// <summary>True when there are no errors.</summary>
    public bool Succeeded => Errors.Count == 0;
}
