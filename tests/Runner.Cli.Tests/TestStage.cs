using System.Text.Json.Nodes;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Cli.Tests;

/// <summary>A stage for exercising the CLI: reads a spec slice, writes a file, counts its runs.</summary>
public sealed class TestStage(string name, string[] inputs, string[] slice) : IStage
{
    private int _calls;

    /// <summary>How often the body ran.</summary>
    public int Calls => _calls;

    /// <summary>Thrown from the body when set.</summary>
    public Exception? FailWith { get; set; }

    /// <summary>When set, the body waits on it (or on cancellation) before finishing.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Signalled when the body starts.</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => name;
    public int Version => 1;
    public IReadOnlyList<string> Inputs => inputs;
    public IReadOnlyList<string> ExcludedFields => [];
    public IReadOnlyDictionary<string, string> RunLinks { get; init; } = new Dictionary<string, string>();
    public JsonNode? SpecSlice(ResolvedPoint point) => SpecSlices.Take(point.Json, slice);

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        Started.TrySetResult();
        context.Report(1, 2, "steps");
        if (Gate is { } gate) await gate.Task.WaitAsync(cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (FailWith is { } failure) throw failure;
        await File.WriteAllTextAsync(Path.Combine(context.OutputDirectory, "out.txt"), context.Slice?.ToJsonString() ?? "", cancellationToken);
        foreach (var inside in RunLinks.Values)
        {
            Directory.CreateDirectory(Path.Combine(context.OutputDirectory, inside));
            await File.WriteAllTextAsync(Path.Combine(context.OutputDirectory, inside, "weights.txt"), name, cancellationToken);
        }
        context.Report(2, 2, "steps");
        var k = slice.Contains("sae") ? context.Point.Spec.Sae.K ?? 0 : 0; // only what the slice holds may shape the output
        return new StageResult { Metrics = new Dictionary<string, double> { ["value"] = k + inputs.Length } };
    }
}
