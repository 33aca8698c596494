namespace Runner.Pipeline.Spec;

/// <summary>One key/value pair of a <see cref="SpecMapping"/>.</summary>
internal sealed record SpecEntry(SpecScalar Key, SpecNode Value);
