namespace Runner.Core.IO.Parquet;

/// <summary>How pages are compressed.</summary>
public enum ParquetCompression
{
    /// <summary>Pages are stored as they are (codec UNCOMPRESSED).</summary>
    None,

    /// <summary>Each page is one gzip member (codec GZIP, RFC 1952).</summary>
    Gzip,
}
