namespace Runner.Core.Training;

/// <summary>
/// How a language model is pretrained (the spec's model.toy section, resolved). The defaults are the
/// planted-topics proof of concept's: AdamW (β 0.9/0.95, weight decay 0.1 on weight matrices) at 3e-3
/// with a 50-step linear warm-up and a cosine decay to 10%, 32 windows of 64 tokens, clipping at 1.
/// </summary>
public sealed record LanguageModelTrainerOptions
{
    /// <summary>Optimizer steps.</summary>
    public required int Steps { get; init; }

    /// <summary>Windows (sequences) per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Tokens per window the model reads; each window is Context + 1 tokens of the stream (the last is only a target).</summary>
    public int Context { get; init; } = 64;

    /// <summary>Peak learning rate.</summary>
    public double Lr { get; init; } = 3e-3;

    /// <summary>The learning rate the cosine decay ends at, as a fraction of <see cref="Lr"/>.</summary>
    public double MinLrFraction { get; init; } = 0.1;

    /// <summary>Steps of linear warm-up (the rate is multiplied by (step + 1) / WarmupSteps until it reaches 1).</summary>
    public int WarmupSteps { get; init; } = 50;

    /// <summary>AdamW's decoupled weight decay, applied to parameters with two or more dimensions (weight matrices and embeddings).</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Adam β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam β2.</summary>
    public double Beta2 { get; init; } = 0.95;

    /// <summary>Adam ε.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>Clip the global gradient norm to this (0 = off).</summary>
    public double GradClip { get; init; } = 1.0;

    /// <summary>Record a curve point (the mean loss since the previous one) every this many steps, and at the last step.</summary>
    public int LogEvery { get; init; } = 50;

    /// <summary>Seed of the generator that draws the windows' offsets.</summary>
    public ulong Seed { get; init; }

    /// <summary>Windows of the held-out stream the eval loss is measured on (consecutive, from its start; fewer if the stream is shorter).</summary>
    public int EvalSequences { get; init; } = 256;

    /// <summary>Windows per forward when measuring the eval loss.</summary>
    public int EvalBatchSize { get; init; } = 64;

    /// <summary>The learning rate of step <paramref name="step"/> (0-based): lr · min(1, (step + 1) / warm-up) ·
    /// (m + (1 − m) · ½(1 + cos(π · step / steps))), with m = <see cref="MinLrFraction"/> (the proof of concept's schedule).</summary>
    public double LearningRate(int step)
    {
        var warm = WarmupSteps == 0 ? 1.0 : Math.Min(1.0, (step + 1.0) / WarmupSteps);
        var cosine = MinLrFraction + (1 - MinLrFraction) * 0.5 * (1 + Math.Cos(Math.PI * step / Steps));
        return Lr * warm * cosine;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"language model trainer option {what}");
        }
        Check(Steps >= 1, $"Steps must be >= 1, got {Steps}");
        Check(BatchSize >= 1, $"BatchSize must be >= 1, got {BatchSize}");
        Check(Context >= 1, $"Context must be >= 1, got {Context}");
        Check(Lr > 0 && double.IsFinite(Lr), $"Lr must be > 0, got {Lr}");
        Check(MinLrFraction is >= 0 and <= 1, $"MinLrFraction must be in [0, 1], got {MinLrFraction}");
        Check(WarmupSteps >= 0, $"WarmupSteps must be >= 0, got {WarmupSteps}");
        Check(WeightDecay >= 0 && double.IsFinite(WeightDecay), $"WeightDecay must be >= 0, got {WeightDecay}");
        Check(Beta1 is >= 0 and < 1, $"Beta1 must be in [0, 1), got {Beta1}");
        Check(Beta2 is >= 0 and < 1, $"Beta2 must be in [0, 1), got {Beta2}");
        Check(Eps > 0, $"Eps must be > 0, got {Eps}");
        Check(GradClip >= 0, $"GradClip must be >= 0, got {GradClip}");
        Check(LogEvery >= 1, $"LogEvery must be >= 1, got {LogEvery}");
        Check(EvalSequences >= 1, $"EvalSequences must be >= 1, got {EvalSequences}");
        Check(EvalBatchSize >= 1, $"EvalBatchSize must be >= 1, got {EvalBatchSize}");
    }
}
