namespace Runner.Pipeline.Stages;

/// <summary>How a run went, point by point.</summary>
public sealed record ExecutionReport
{
    /// <summary>Every selected point, in order.</summary>
    public required IReadOnlyList<PointReport> Points { get; init; }

    /// <summary>True when every point completed.</summary>
    public bool Succeeded => Points.All(p => p.Error is null && !p.Skipped && !p.Killed);

    /// <summary>Throws the first stage failure (exit code 1), if any; the report shows the others.</summary>
    public void ThrowIfFailed()
    {
        var failures = Points.Where(p => p.Error is not null).Select(p => p.Error!).Distinct().ToList();
        if (failures.Count > 0) throw failures[0];
    }
}
