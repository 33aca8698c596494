namespace Runner.Pipeline.Hooks;

/// <summary>What the hooks of one stage recorded: metrics and params by their names within the stage.</summary>
internal sealed class HookRecorder
{
    public Dictionary<string, double> Metrics { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, string> Params { get; } = new(StringComparer.Ordinal);
}
