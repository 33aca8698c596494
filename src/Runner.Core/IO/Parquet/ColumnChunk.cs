namespace Runner.Core.IO.Parquet;

/// <summary>What the footer records about one written column chunk (ColumnMetaData).</summary>
internal sealed record ColumnChunk
{
    public required ParquetColumn Column { get; init; }

    /// <summary>Parquet Encoding enum values used in the chunk.</summary>
    public required IReadOnlyList<int> Encodings { get; init; }

    /// <summary>Parquet CompressionCodec enum value.</summary>
    public required int Codec { get; init; }

    /// <summary>Values including nulls (= rows, the schema being flat).</summary>
    public required long NumValues { get; init; }

    /// <summary>Bytes of all pages, headers included, before compression.</summary>
    public required long UncompressedSize { get; init; }

    /// <summary>Bytes of all pages as stored, headers included.</summary>
    public required long CompressedSize { get; init; }

    /// <summary>File offset of the first data page.</summary>
    public required long DataPageOffset { get; init; }

    /// <summary>File offset of the dictionary page, when there is one.</summary>
    public long? DictionaryPageOffset { get; init; }

    /// <summary>Null values in the chunk.</summary>
    public required long NullCount { get; init; }

    /// <summary>NaN values (floating-point columns only).</summary>
    public long? NanCount { get; init; }

    /// <summary>PLAIN-encoded minimum (UTF-8 bytes for strings), or null.</summary>
    public byte[]? Min { get; init; }

    /// <summary>PLAIN-encoded maximum, or null.</summary>
    public byte[]? Max { get; init; }

    /// <summary>Where the chunk starts (its dictionary page, or else its first data page).</summary>
    public long StartOffset => DictionaryPageOffset ?? DataPageOffset;
}
