using Runner.Pipeline.Runs;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

/// <summary>How one point went.</summary>
public sealed record PointReport
{
    /// <summary>The point.</summary>
    public required ResolvedPoint Point { get; init; }

    /// <summary>What its run folder records (for a failed or killed point: the completed stages and the failed or interrupted one), when one was written.</summary>
    public RunRecord? Record { get; init; }

    /// <summary>Its run folder: always when it succeeded; when it failed or was killed, unless writing the folder failed too.</summary>
    public string? RunDirectory { get; init; }

    /// <summary>The failure, when a stage failed.</summary>
    public StageFailedException? Error { get; init; }

    /// <summary>Interrupted by cancellation (Ctrl-C): its run folder, when written, records it as killed.</summary>
    public bool Killed { get; init; }

    /// <summary>Not started because an earlier point failed (without <see cref="PipelineOptions.KeepGoing"/>) or the run was cancelled.</summary>
    public bool Skipped { get; init; }
}
