namespace Runner.Pipeline.Stages;

/// <summary>
/// A run was cancelled (Ctrl-C) after every running stage stopped, removed its temp output and released its lock.
/// <see cref="Report"/> holds what had happened by then: the points that finished (normal run folders), the interrupted
/// ones (<see cref="PointReport.Killed"/>, run folders with status killed) and those never started
/// (<see cref="PointReport.Skipped"/>), so the caller can still log and report them.
/// </summary>
public sealed class PipelineCancelledException : OperationCanceledException
{
    /// <summary>Cancellation of a run that had got as far as <paramref name="report"/>.</summary>
    public PipelineCancelledException(ExecutionReport report, DateTimeOffset cancelledAt, CancellationToken token)
        : base("the run was cancelled", token)
    {
        Report = report;
        CancelledAt = cancelledAt;
    }

    /// <summary>Every selected point as far as it got.</summary>
    public ExecutionReport Report { get; }

    /// <summary>When cancellation was requested (UTC): the end time of the killed points.</summary>
    public DateTimeOffset CancelledAt { get; }
}
