namespace Runner.Pipeline.Caching;

/// <summary>
/// What <see cref="StageCache.CollectGarbage"/> removes. Entries are removed only when every given
/// criterion holds (with none given, entries are kept and only leftovers are cleaned); entries whose
/// manifest is unreadable are always removed.
/// </summary>
public sealed record GcOptions
{
    /// <summary>When non-empty: an entry referenced by the <c>stages.json</c> of a run folder under any of these roots is kept.</summary>
    public IReadOnlyList<string> RunsRoots { get; init; } = [];

    /// <summary>When set: only entries not published or hit for this long are removed.</summary>
    public TimeSpan? UnusedFor { get; init; }

    /// <summary>Temp folders and lock files of another host older than this are removed (those of dead processes on this host at once).</summary>
    public TimeSpan LeftoverMaxAge { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Report what would be removed without removing anything.</summary>
    public bool DryRun { get; init; }
}
