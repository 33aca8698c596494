namespace Runner.Pipeline.Spec;

/// <summary>One axis of a sweep: a single key, or a zip group whose lists vary together.</summary>
internal sealed record SweepDimension(IReadOnlyList<string> Keys, IReadOnlyList<SpecSequence> Lists)
{
    public int Length => Lists[0].Items.Count;
}
