namespace Runner.Pipeline.Spec;

/// <summary>Inputs to <see cref="SpecLoader"/> besides the spec file.</summary>
public sealed record SpecLoadOptions
{
    /// <summary><c>key.path=value</c> overrides (the CLI's <c>--set</c>), applied in order after the file and its includes.</summary>
    public IReadOnlyList<string> Overrides { get; init; } = [];

    /// <summary>Looks up <c>${VAR}</c>; null = the process environment.</summary>
    public Func<string, string?>? Environment { get; init; }

    /// <summary>
    /// Base for a relative spec path and for relative paths in overrides, and the folder error
    /// locations are shown relative to; null = the current directory.
    /// </summary>
    public string? WorkingDirectory { get; init; }
}
