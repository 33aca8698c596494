namespace Runner.Core.Training;

/// <summary>One point of a language model's training curve.</summary>
public sealed record LanguageModelPoint
{
    /// <summary>Steps done (1-based: the point after the first step has Step 1).</summary>
    public required int Step { get; init; }

    /// <summary>Steps in the whole run.</summary>
    public required int TotalSteps { get; init; }

    /// <summary>Mean next-token cross entropy (nats) of the steps since the previous point.</summary>
    public required double Loss { get; init; }

    /// <summary>Learning rate of this point's last step.</summary>
    public required double Lr { get; init; }

    /// <summary>Tokens predicted so far (steps × batch × context).</summary>
    public required long Tokens { get; init; }
}
