using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>How <see cref="ActivationShardReader"/> delivers batches.</summary>
public sealed record ActivationReadOptions
{
    /// <summary>Batches prepared ahead on a background thread; 0 prepares each on the consumer's thread when asked.</summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>Convert activations to this dtype (null: as stored, e.g. bfloat16 stays bfloat16).</summary>
    public DType? DType { get; init; }

    /// <summary>Put every batch tensor on this device (null: CPU); the copy happens on the prefetch thread.</summary>
    public Device? Device { get; init; }

    /// <summary>Delete the dataset folder when the reader is disposed (a temporary dataset, e.g. recomputed eval rows).</summary>
    public bool DeleteOnDispose { get; init; }
}
