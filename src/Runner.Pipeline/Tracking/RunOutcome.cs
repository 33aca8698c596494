namespace Runner.Pipeline.Tracking;

/// <summary>What became of one run folder (or sweep parent) in one attempt to log it.</summary>
internal enum RunOutcome
{
    /// <summary>Everything is logged now.</summary>
    Logged,

    /// <summary>It was logged before; nothing was sent.</summary>
    AlreadyLogged,

    /// <summary>The target could not be reached in time: still spooled.</summary>
    Spooled,

    /// <summary>The target refused a request: spooled with the error, retried only by a later replay.</summary>
    Rejected,

    /// <summary>Another process holds its spool.</summary>
    Busy,
}
