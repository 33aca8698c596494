namespace Runner.Pipeline.Tracking;

/// <summary>A tracking call that failed; <see cref="Kind"/> says whether trying again can help.</summary>
public sealed class TrackingException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrackingException(TrackingFailure kind, string message, Exception? inner = null, string? errorCode = null) : base(message, inner)
    {
        Kind = kind;
        ErrorCode = errorCode;
    }

    /// <summary>MLflow's <c>error_code</c> (<c>RESOURCE_ALREADY_EXISTS</c>, <c>RESOURCE_DOES_NOT_EXIST</c>, …) when the server sent one.</summary>
    public string? ErrorCode { get; }

    /// <summary>What kind of failure this is.</summary>
    public TrackingFailure Kind { get; }

    /// <summary>True when a later attempt may succeed (unreachable, timeout, 5xx, 429).</summary>
    public bool Transient => Kind != TrackingFailure.Rejected;
}

/// <summary>How a tracking call failed.</summary>
public enum TrackingFailure
{
    /// <summary>Nothing reached the server (connection refused, name not resolved): certainly not applied.</summary>
    Unreachable,

    /// <summary>A timeout, a dropped connection or a 5xx: the request may or may not have been applied.</summary>
    Uncertain,

    /// <summary>The server refused the request (4xx other than 429): retrying the same request cannot help.</summary>
    Rejected,
}
