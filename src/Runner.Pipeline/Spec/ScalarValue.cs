namespace Runner.Pipeline.Spec;

/// <summary>A typed plain scalar; only the member matching <see cref="Kind"/> is meaningful.</summary>
internal readonly record struct ScalarValue(ScalarKind Kind, bool Bool = false, long Int = 0, double Float = 0);
