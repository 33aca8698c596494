namespace Runner.Pipeline.Tracking;

/// <summary>What <c>runner tracking sync</c> did.</summary>
public sealed record TrackingSyncResult
{
    /// <summary>Run folders logged by this sync.</summary>
    public required IReadOnlyList<string> Logged { get; init; }

    /// <summary>Run folders still spooled (target unreachable), with the last error.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Pending { get; init; }

    /// <summary>Run folders the target refused, with its answer.</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Rejected { get; init; }

    /// <summary>One line for the console.</summary>
    public required string Summary { get; init; }
}
