using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

/// <summary>Everything a running stage gets: its point and slice, where to write, its inputs, and where to report.</summary>
public sealed class StageContext
{
    private IProgress<StageProgress>? _progress;

    /// <summary>The point being run.</summary>
    public required ResolvedPoint Point { get; init; }

    /// <summary>The stage's name.</summary>
    public required string Stage { get; init; }

    /// <summary>The stage's key (what the output will be cached under).</summary>
    public required string Key { get; init; }

    /// <summary>The stage's spec slice as it reads it (excluded fields included).</summary>
    public JsonNode? Slice { get; init; }

    /// <summary>
    /// The folder to write outputs into: a temp folder on the cache's file system that is renamed into
    /// the cache entry when the stage returns, and deleted when it throws or is cancelled.
    /// </summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The outputs of the input stages that apply to this point, by stage name.</summary>
    public IReadOnlyDictionary<string, StageInput> Inputs { get; init; } = new Dictionary<string, StageInput>();

    /// <summary>Where events go (null: nowhere).</summary>
    public IProgress<PipelineEvent>? Events { get; init; }

    /// <summary>
    /// A folder for resumable state (checkpoints) that survives cancellation and crashes of this
    /// computation, keyed like the entry; created on demand by the stage, deleted once the entry is
    /// published. Null when the caller offers none (tests).
    /// </summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Cancelled on Ctrl-C; the same token RunAsync receives.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Progress reports; point and stage are filled in. Hand this to Core code that takes an IProgress.</summary>
    public IProgress<StageProgress> Progress => _progress ??= new StampedProgress(this);

    /// <summary>The output of input stage <paramref name="stage"/>; a RunnerException when it is not an input of this point.</summary>
    public StageInput Input(string stage) =>
        Inputs.TryGetValue(stage, out var input) ? input
            : throw new RunnerException($"stage {Stage} needs the output of {stage}, which did not run for point {Point.Index} ({Point.RunName})");

    /// <summary>Reports progress: <paramref name="done"/> of <paramref name="total"/> <paramref name="unit"/>.</summary>
    public void Report(double done, double? total = null, string? unit = null, string? message = null) =>
        Progress.Report(new StageProgress { Done = done, Total = total, Unit = unit, Message = message });

    /// <summary>Reports a line of text.</summary>
    public void Log(MessageLevel level, string text) =>
        Events?.Report(new PipelineMessage { Level = level, Text = text, PointIndex = Point.Index, RunName = Point.RunName, Stage = Stage });

    private sealed class StampedProgress(StageContext context) : IProgress<StageProgress>
    {
        public void Report(StageProgress value) =>
            context.Events?.Report(value with { PointIndex = context.Point.Index, RunName = context.Point.RunName, Stage = context.Stage });
    }
}
