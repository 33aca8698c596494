using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

/// <summary>How <see cref="PipelineExecutor"/> runs: the CLI's <c>run</c> options.</summary>
public sealed record PipelineOptions
{
    /// <summary>The runs root (absolute; <see cref="Runs.RunFolder.ResolveRoot"/>): run folders go to &lt;root&gt;/&lt;experiment&gt;/&lt;run-name&gt;/.</summary>
    public required string RunsDirectory { get; init; }

    /// <summary>
    /// What computes, as it affects results: the libtorch and shim versions (the CLI passes e.g.
    /// <c>libtorch=2.6.0;shim=3</c>). Part of every stage key.
    /// </summary>
    public required string EnvironmentFingerprint { get; init; }

    /// <summary>The Runner version recorded in each run folder (<c>stages.json</c> <c>runner_version</c>); null records none.</summary>
    public string? RunnerVersion { get; init; }

    /// <summary>The git commit recorded in each run folder (<c>stages.json</c> <c>git_commit</c>); null records none.</summary>
    public string? GitCommit { get; init; }

    /// <summary>Recompute every stage (<c>--no-cache</c>); new entries still replace the old ones.</summary>
    public bool NoCache { get; init; }

    /// <summary>Recompute these stages and everything downstream of them (<c>--force STAGE</c>).</summary>
    public IReadOnlyList<string> Force { get; init; } = [];

    /// <summary>Run only the point with this index (<c>--point N</c>, one Slurm array task).</summary>
    public int? Point { get; init; }

    /// <summary>Points run at once in this process (stages they share still run once).</summary>
    public int MaxParallelPoints { get; init; } = 1;

    /// <summary>Run the remaining points after one fails (default: stop starting new ones).</summary>
    public bool KeepGoing { get; init; }

    /// <summary>The text of resolved.yaml for a point (the spec serializer); null writes the resolved JSON, which is valid YAML.</summary>
    public Func<ResolvedPoint, string>? ResolvedYaml { get; init; }
}
