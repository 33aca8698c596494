namespace Runner.Pipeline.Stages;

/// <summary>How much a <see cref="PipelineMessage"/> matters.</summary>
public enum MessageLevel
{
    /// <summary>Detail for verbose output.</summary>
    Debug,

    /// <summary>Worth showing.</summary>
    Info,

    /// <summary>Something went wrong but the run goes on (a corrupt cache entry, a lost lock).</summary>
    Warning,
}
