namespace Runner.Pipeline.Stages;

/// <summary>What a run would do for a stage of a point.</summary>
public enum StageAction
{
    /// <summary>Use the valid cache entry.</summary>
    Reuse,

    /// <summary>Compute it (no valid entry, or forced).</summary>
    Compute,

    /// <summary>An earlier point of this run computes the same key; reuse that.</summary>
    Shared,
}
