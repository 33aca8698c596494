using System.Text.Json.Nodes;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline.TestHost;

/// <summary>
/// The stage the processes share. Each real computation creates one file in the record folder
/// (a unique name per computation, so counting needs no append atomicity), optionally touches a
/// marker once it is inside the stage, then sleeps in small cancellable steps and writes its output.
/// </summary>
internal sealed class SharedStage(string recordDirectory, string? marker, int sleepMs) : IStage
{
    public string Name => "shared";

    public int Version => 1;

    public IReadOnlyList<string> Inputs => [];

    public IReadOnlyList<string> ExcludedFields => [];

    public JsonNode? SpecSlice(ResolvedPoint point) => SpecSlices.Take(point.Json, "data");

    public async Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(recordDirectory);
        File.WriteAllText(Path.Combine(recordDirectory, $"{Environment.ProcessId}-{Guid.NewGuid():N}"), context.Key);
        await File.WriteAllTextAsync(Path.Combine(context.OutputDirectory, "partial.bin"), "half written", cancellationToken);
        if (marker is not null) File.WriteAllText(marker, Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        for (var slept = 0; slept < sleepMs; slept += 20) await Task.Delay(20, cancellationToken);
        File.Delete(Path.Combine(context.OutputDirectory, "partial.bin"));
        await File.WriteAllTextAsync(Path.Combine(context.OutputDirectory, "result.txt"), context.Slice?.ToJsonString() ?? "", cancellationToken);
        return new StageResult { Metrics = new Dictionary<string, double> { ["value"] = 1 } };
    }
}
