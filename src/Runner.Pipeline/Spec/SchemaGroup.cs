namespace Runner.Pipeline.Spec;

/// <summary>
/// Keys of one section of which at most one may be given (exactly one when <paramref name="Required"/>).
/// When none is given, <paramref name="DefaultKey"/> takes its default and the others stay null.
/// </summary>
internal sealed record SchemaGroup(IReadOnlyList<string> Keys, string? DefaultKey = null, bool Required = false);
