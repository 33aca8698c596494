using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>How <see cref="ActivationShardWriter"/> lays out a dataset.</summary>
public sealed record ActivationShardOptions
{
    /// <summary>Width of a row.</summary>
    public required int DIn { get; init; }

    /// <summary>Storage dtype of the activations: float32, bfloat16 (half the disk and page cache) or float16.</summary>
    public DType DType { get; init; } = DType.Float32;

    /// <summary>Rows per sequence; every append holds whole sequences and shards split only between them.</summary>
    public int SequenceLength { get; init; } = 1;

    /// <summary>Whether every row carries an int64 label (e.g. the planted topic).</summary>
    public bool Labels { get; init; }

    /// <summary>Upper bound on a shard's size (one sequence at least); 256 MiB by default.</summary>
    public long MaxShardBytes { get; init; } = 256L << 20;

    /// <summary>Record each shard's SHA-256 in the index (costs one extra read of the data).</summary>
    public bool ComputeSha256 { get; init; }

    /// <summary>Free-form description written to the index (model, hook, corpus).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
