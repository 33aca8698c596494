using Runner.Torch;

namespace Runner.Core.Training;

/// <summary>How an SAE is trained: optimizer, schedules, bookkeeping (the spec's sae section, resolved).</summary>
public sealed record TrainerOptions
{
    /// <summary>Training rows (tokens); the run takes ⌈TotalTokens / BatchSize⌉ steps of full batches.</summary>
    public required long TotalTokens { get; init; }

    /// <summary>Rows per step.</summary>
    public int BatchSize { get; init; } = 4096;

    /// <summary>Adam's peak learning rate.</summary>
    public double Lr { get; init; } = 2e-4;

    /// <summary>Adam β1.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam β2.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adam ε.</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>Fraction of steps at the end over which the learning rate decays linearly to 0.</summary>
    public double LrDecayFraction { get; init; } = 0.2;

    /// <summary>
    /// Fraction of steps at the start over which <see cref="Sae.SaeStepContext.SparsityScale"/> rises
    /// linearly from 0 to 1 (relu: 0.05; jumprelu per Anthropic January 2025: 1, the whole run; topk: 0).
    /// </summary>
    public double SparsityWarmupFraction { get; init; }

    /// <summary>Clip the global gradient norm to this (0 = off).</summary>
    public double GradClip { get; init; } = 1.0;

    /// <summary>A latent is dead once it has not fired for this many tokens; capped at the run's tokens.</summary>
    public long DeadWindow { get; init; } = 10_000_000;

    /// <summary>Record a curve point every this many steps (and at the last step).</summary>
    public int LogEvery { get; init; } = 100;

    /// <summary>Write a checkpoint whenever another this many tokens are done (null = only on cancel).</summary>
    public long? CheckpointEvery { get; init; }

    /// <summary>Float32, or BFloat16 = autocast around the forward pass with float32 master weights.</summary>
    public DType Precision { get; init; } = DType.Float32;

    /// <summary>Scale inputs by one scalar s = √d_in / mean‖x‖ estimated before training (sets the SAE's InputScale).</summary>
    public bool Normalize { get; init; } = true;

    /// <summary>Rows (from the start of the stream, capped at the run's tokens) the normalization scalar is estimated on.</summary>
    public long NormalizationRows { get; init; } = 100_000;

    /// <summary>
    /// Rows (from the start of the stream, capped at the run's tokens) handed to the SAE's data-dependent
    /// initialization (TopK: b_dec = their geometric median; Gao et al. use 32 768). Held on the device once.
    /// </summary>
    public long InitSampleRows { get; init; } = 32_768;

    /// <summary>Re-initialize dead and near-duplicate latents during training (Towards Monosemanticity); null = never.</summary>
    public ResampleOptions? Resample { get; init; }

    /// <summary>Seed of the trainer's own random stream (checkpointed with the run).</summary>
    public ulong Seed { get; init; }

    /// <summary>Where the SAE's parameters live; batches are moved there.</summary>
    public Device Device { get; init; } = Device.Cpu;

    /// <summary>Steps in the run: ⌈TotalTokens / BatchSize⌉.</summary>
    public long TotalSteps => (TotalTokens + BatchSize - 1) / BatchSize;

    /// <summary>Tokens the run actually trains on: TotalSteps × BatchSize.</summary>
    public long TrainingTokens => TotalSteps * BatchSize;

    /// <summary>The dead window in effect: <see cref="DeadWindow"/>, or the whole run if shorter.</summary>
    public long EffectiveDeadWindow => Math.Min(DeadWindow, TrainingTokens);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        static void Check(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"trainer option {what}");
        }
        Check(TotalTokens >= 1, $"TotalTokens must be >= 1, got {TotalTokens}");
        Check(BatchSize >= 1, $"BatchSize must be >= 1, got {BatchSize}");
        Check(Lr > 0 && double.IsFinite(Lr), $"Lr must be > 0, got {Lr}");
        Check(Beta1 is >= 0 and < 1, $"Beta1 must be in [0, 1), got {Beta1}");
        Check(Beta2 is >= 0 and < 1, $"Beta2 must be in [0, 1), got {Beta2}");
        Check(Eps > 0, $"Eps must be > 0, got {Eps}");
        Check(LrDecayFraction is >= 0 and <= 1, $"LrDecayFraction must be in [0, 1], got {LrDecayFraction}");
        Check(SparsityWarmupFraction is >= 0 and <= 1, $"SparsityWarmupFraction must be in [0, 1], got {SparsityWarmupFraction}");
        Check(GradClip >= 0, $"GradClip must be >= 0, got {GradClip}");
        Check(DeadWindow >= 1, $"DeadWindow must be >= 1, got {DeadWindow}");
        Check(LogEvery >= 1, $"LogEvery must be >= 1, got {LogEvery}");
        Check(CheckpointEvery is null or >= 1, $"CheckpointEvery must be >= 1, got {CheckpointEvery}");
        Check(Precision is DType.Float32 or DType.BFloat16, $"Precision must be float32 or bfloat16, got {Precision.Name()}");
        Check(NormalizationRows >= 1, $"NormalizationRows must be >= 1, got {NormalizationRows}");
        Resample?.Validate();
        Check(InitSampleRows >= 1, $"InitSampleRows must be >= 1, got {InitSampleRows}");
    }
}
