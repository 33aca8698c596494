namespace Runner.Core.Training;

/// <summary>One point of the training curves, recorded after a step (every LogEvery steps and at the last).</summary>
public sealed record TrainingPoint
{
    /// <summary>Steps done (1-based: the point after the first step has Step 1).</summary>
    public required long Step { get; init; }

    /// <summary>Training rows consumed so far.</summary>
    public required long Tokens { get; init; }

    /// <summary>Steps in the whole run.</summary>
    public required long TotalSteps { get; init; }

    /// <summary>The total loss of this step's batch.</summary>
    public required double Loss { get; init; }

    /// <summary>E_t Σ_d (x̂ − x)² of this step's batch, in the SAE's (normalized) space.</summary>
    public required double Mse { get; init; }

    /// <summary>Mean active latents per row of this step's batch.</summary>
    public required double L0 { get; init; }

    /// <summary>The architecture's other loss terms (SaeForward.Terms) of this step's batch.</summary>
    public required IReadOnlyDictionary<string, double> Terms { get; init; }

    /// <summary>Fraction of latents that have not fired within the dead window, after this step.</summary>
    public required double DeadFraction { get; init; }

    /// <summary>Learning rate this step used.</summary>
    public required double Lr { get; init; }

    /// <summary>Sparsity-coefficient multiplier this step used.</summary>
    public required double SparsityScale { get; init; }
}
