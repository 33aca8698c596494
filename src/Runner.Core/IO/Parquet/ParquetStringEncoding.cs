namespace Runner.Core.IO.Parquet;

/// <summary>How a string column's values are encoded, per column chunk.</summary>
public enum ParquetStringEncoding
{
    /// <summary>
    /// Dictionary encoding when the chunk repeats values (at most half of its non-null values are
    /// distinct) and the dictionary stays under <see cref="ParquetWriterOptions.MaxDictionaryBytes"/>;
    /// PLAIN otherwise.
    /// </summary>
    Auto,

    /// <summary>Always PLAIN (4-byte length, then the UTF-8 bytes).</summary>
    Plain,

    /// <summary>
    /// Always a dictionary page (PLAIN) and RLE_DICTIONARY data pages, whatever the dictionary's size;
    /// a chunk without a non-null value is written PLAIN.
    /// </summary>
    Dictionary,
}
