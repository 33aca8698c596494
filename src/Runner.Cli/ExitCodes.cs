namespace Runner.Cli;

/// <summary>The process exit codes, the same for every command.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>A stage or check failed.</summary>
    public const int Failed = 1;
    /// <summary>Bad spec or usage.</summary>
    public const int Usage = 2;
    /// <summary>Cancelled (Ctrl-C).</summary>
    public const int Cancelled = 130;
}
