namespace Runner.Pipeline.Spec;

/// <summary>What <see cref="SpecLoader.TryLoad(string, SpecLoadOptions)"/> found: the experiment, or every error.</summary>
public sealed record SpecLoadResult
{
    /// <summary>Every error, in file order; empty when the spec is valid.</summary>
    public required IReadOnlyList<SpecError> Errors { get; init; }

    /// <summary>The experiment with all points resolved; null when there are errors.</summary>
    public LoadedExperiment? Experiment { get; init; }

    /// <summary>True when there are no errors.</summary>
    public bool IsValid => Errors.Count == 0;
}
