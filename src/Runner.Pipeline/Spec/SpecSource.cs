namespace Runner.Pipeline.Spec;

/// <summary>Where spec nodes came from: a file, or one <c>--set</c> override.</summary>
internal sealed class SpecSource
{
    /// <summary>The file as shown in errors, or the override's text.</summary>
    public required string Display { get; init; }

    /// <summary>Relative paths in values written here resolve against this folder.</summary>
    public required string BaseDirectory { get; init; }

    /// <summary>The absolute file path; null for an override.</summary>
    public string? FullPath { get; init; }

    /// <summary>True for a <c>--set</c> override.</summary>
    public bool IsOverride { get; init; }

    /// <summary>Sort order of errors: files in load order, then overrides.</summary>
    public required int Order { get; init; }

    /// <summary>Who wins a conflict: includes before the including file, earlier includes before later ones, then overrides.</summary>
    public int Precedence { get; set; }

    /// <summary><c>file:line:col</c>, or <c>--set key=value</c>.</summary>
    public string Location(int line, int column) => IsOverride ? "--set " + Display : $"{Display}:{line}:{column}";
}
