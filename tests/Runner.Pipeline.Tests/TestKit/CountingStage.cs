using System.Text.Json.Nodes;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline.Tests.TestKit;

/// <summary>
/// A test stage that counts its executions. It writes <c>out.txt</c> = its slice plus its inputs'
/// <c>out.txt</c>, so outputs depend on everything upstream, and returns the metrics <c>calls</c> and <c>chars</c>.
/// </summary>
public sealed class CountingStage(string name, params string[] inputs) : IStage
{
    private int _calls;

    public string Name => name;

    public int Version { get; init; } = 1;

    public IReadOnlyList<string> Inputs => inputs;

    /// <summary>The spec paths the slice takes (default: the section named like the stage).</summary>
    public IReadOnlyList<string> Paths { get; init; } = [name];

    public IReadOnlyList<string> ExcludedFields { get; init; } = [];

    /// <summary>Runs before the output is written (to block, fail or observe the context).</summary>
    public Func<StageContext, CancellationToken, Task>? Body { get; init; }

    /// <summary>Whether the stage applies to a point (default: always).</summary>
    public Func<ResolvedPoint, bool>? Applies { get; init; }

    /// <summary>How many times RunAsync ran.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public JsonNode? SpecSlice(ResolvedPoint point) => SpecSlices.Take(point.Json, Paths);

    public bool AppliesTo(ResolvedPoint point) => Applies?.Invoke(point) ?? true;

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken)
    {
        var calls = Interlocked.Increment(ref _calls);
        if (Body is not null) await Body(context, cancellationToken);
        var text = (context.Slice?.ToJsonString() ?? "null")
            + string.Concat(context.Inputs.Values.OrderBy(i => i.Stage, StringComparer.Ordinal)
                .Select(i => $"|{i.Stage}:{File.ReadAllText(Path.Combine(i.Directory, "out.txt"))}"));
        await File.WriteAllTextAsync(Path.Combine(context.OutputDirectory, "out.txt"), text, cancellationToken);
        return new StageResult { Metrics = new Dictionary<string, double> { ["calls"] = calls, ["chars"] = text.Length } };
    }
}
