namespace Runner.Core.IO.Parquet;

/// <summary>Settings of a <see cref="ParquetWriter"/>; the defaults suit tables of a few million rows.</summary>
public sealed record ParquetWriterOptions
{
    /// <summary>The page codec.</summary>
    public ParquetCompression Compression { get; init; } = ParquetCompression.Gzip;

    /// <summary>A data page ends once its encoded values reach this many bytes (before compression).</summary>
    public int PageSizeBytes { get; init; } = 1 << 20;

    /// <summary>
    /// <see cref="ParquetWriter.Write"/> splits its rows into row groups of at most this many rows;
    /// <see cref="ParquetWriter.WriteRowGroup"/> ignores it.
    /// </summary>
    public int RowGroupRows { get; init; } = 1 << 17;

    /// <summary>With <see cref="ParquetStringEncoding.Auto"/>, a chunk whose distinct strings exceed this many bytes is written PLAIN.</summary>
    public int MaxDictionaryBytes { get; init; } = 1 << 20;

    /// <summary>
    /// String statistics (min/max) are left out of a chunk whose smallest or largest value is longer
    /// than this many UTF-8 bytes (the null count is always written).
    /// </summary>
    public int MaxStatisticsBytes { get; init; } = 1024;

    /// <summary>Key/value metadata stored in the footer (FileMetaData.key_value_metadata).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
