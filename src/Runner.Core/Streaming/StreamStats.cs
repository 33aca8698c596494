namespace Runner.Core.Streaming;

/// <summary>Where a streamed training's time went, and how much it read.</summary>
public sealed record StreamStats
{
    /// <summary>Stream position the pass started at (0, or the earliest checkpoint of a resumed run).</summary>
    public required long StartRow { get; init; }

    /// <summary>Shuffled rows handed to the trainers (from <see cref="StartRow"/>).</summary>
    public required long Rows { get; init; }

    /// <summary>Seconds the producer spent computing rows (the model's forward passes), on its own thread.</summary>
    public required double ProducerSeconds { get; init; }

    /// <summary>Seconds of SAE training steps, all members.</summary>
    public required double SaeSeconds { get; init; }

    /// <summary>Seconds the trainers waited for the producer (the producer limits when this is large).</summary>
    public required double WaitSeconds { get; init; }

    /// <summary>Wall-clock seconds of the whole pass.</summary>
    public required double Seconds { get; init; }
}
