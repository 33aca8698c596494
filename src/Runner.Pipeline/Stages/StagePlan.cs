namespace Runner.Pipeline.Stages;

/// <summary>One stage of a point in a dry-run plan.</summary>
/// <param name="Stage">The stage name.</param>
/// <param name="Key">Its key for this point.</param>
/// <param name="Cached">Whether a valid entry exists now.</param>
/// <param name="Action">What a run would do.</param>
/// <param name="Forced">Whether --force or --no-cache makes it compute despite an entry.</param>
/// <param name="Problem">Why an existing entry would not be trusted, if one exists but is corrupt.</param>
public sealed record StagePlan(string Stage, string Key, bool Cached, StageAction Action, bool Forced, string? Problem);
