namespace Runner.Pipeline.Spec;

/// <summary>A loaded, validated experiment: one resolved point per sweep combination (one without a sweep).</summary>
public sealed record LoadedExperiment
{
    /// <summary>Absolute path of the spec file.</summary>
    public required string SpecPath { get; init; }

    /// <summary>The experiment's name (spec key <c>name</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The swept key paths, in sweep order (empty without a sweep).</summary>
    public required IReadOnlyList<string> SweepKeys { get; init; }

    /// <summary>Every point, in sweep order (first sweep key varies slowest), all validated.</summary>
    public required IReadOnlyList<ResolvedPoint> Points { get; init; }

    /// <summary>Absolute paths of every file read: the spec, then its includes in the order they were read.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>True when the spec has a sweep (even one that expands to a single point).</summary>
    public bool IsSweep => SweepKeys.Count > 0;
}
