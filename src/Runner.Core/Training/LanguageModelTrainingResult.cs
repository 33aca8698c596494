namespace Runner.Core.Training;

/// <summary>What a finished language-model pretraining reports (the model was trained in place).</summary>
public sealed record LanguageModelTrainingResult
{
    /// <summary>Steps taken.</summary>
    public required int Steps { get; init; }

    /// <summary>Tokens predicted in training (steps × batch × context).</summary>
    public required long Tokens { get; init; }

    /// <summary>The training curve: one point every LogEvery steps and one at the last step.</summary>
    public required IReadOnlyList<LanguageModelPoint> Curve { get; init; }

    /// <summary>Mean training loss over the last 100 steps (or all of them, if fewer).</summary>
    public required double TrainLoss { get; init; }

    /// <summary>Mean next-token cross entropy (nats) on the held-out windows after training.</summary>
    public required double EvalLoss { get; init; }

    /// <summary>Wall-clock seconds of the training steps (the eval pass excluded).</summary>
    public required double Seconds { get; init; }

    /// <summary>Training tokens per second.</summary>
    public double TokensPerSecond => Seconds > 0 ? Tokens / Seconds : 0;
}
