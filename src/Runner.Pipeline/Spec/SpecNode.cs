namespace Runner.Pipeline.Spec;

/// <summary>A YAML node with its position; the loader's own immutable tree (keeps duplicates and marks).</summary>
internal abstract class SpecNode(SpecSource source, int line, int column)
{
    /// <summary>The file or override it came from.</summary>
    public SpecSource Source { get; } = source;

    /// <summary>1-based line.</summary>
    public int Line { get; } = line;

    /// <summary>1-based column.</summary>
    public int Column { get; } = column;

    /// <summary>How the node reads in "got …" messages: <c>a mapping</c>, <c>a list</c>, <c>"abc"</c>, <c>-1</c>.</summary>
    public abstract string Describe();

    /// <summary>True for a null scalar (<c>~</c>, <c>null</c>, or nothing).</summary>
    public bool IsNull => this is SpecScalar { IsPlain: true, IsBroken: false } s && ScalarParser.Parse(s.Value).Kind == ScalarKind.Null;
}
