namespace Runner.Core.Generation;

/// <summary>How the next token is chosen from the logits (see <see cref="TokenSampler"/>).</summary>
public sealed record SamplingOptions
{
    /// <summary>Take the most likely token (lowest id on ties); the other settings are then ignored.</summary>
    public bool Greedy { get; init; }

    /// <summary>Divides the logits before sampling; must be positive and finite.</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Keep only the k most likely tokens (k ≥ 1); null keeps all.</summary>
    public int? TopK { get; init; }

    /// <summary>Nucleus sampling: keep the smallest set of most likely tokens whose probability reaches p, in (0, 1]; null keeps all.</summary>
    public double? TopP { get; init; }
}
