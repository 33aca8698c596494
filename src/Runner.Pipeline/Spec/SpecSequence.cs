namespace Runner.Pipeline.Spec;

/// <summary>A YAML sequence.</summary>
internal sealed class SpecSequence(SpecSource source, int line, int column, IReadOnlyList<SpecNode> items) : SpecNode(source, line, column)
{
    public IReadOnlyList<SpecNode> Items { get; } = items;

    public override string Describe() => "a list";
}
