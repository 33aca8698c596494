namespace Runner.Core.IO;

/// <summary>One shard of an activation dataset: a safetensors file holding rows [FirstRow, FirstRow + Rows).</summary>
public sealed record ActivationShardInfo
{
    /// <summary>The file name inside the dataset folder, e.g. <c>shard-00000.safetensors</c>.</summary>
    public required string File { get; init; }

    /// <summary>The dataset row of the shard's first row.</summary>
    public required long FirstRow { get; init; }

    /// <summary>Rows in the shard (a multiple of the sequence length: sequences never span shards).</summary>
    public required long Rows { get; init; }

    /// <summary>The file's size in bytes.</summary>
    public required long Bytes { get; init; }

    /// <summary>SHA-256 of the file (lower-case hex), when the writer computed it.</summary>
    public string? Sha256 { get; init; }
}
