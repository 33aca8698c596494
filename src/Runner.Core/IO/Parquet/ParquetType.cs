namespace Runner.Core.IO.Parquet;

/// <summary>The column types the writer supports (flat schemas only).</summary>
public enum ParquetType
{
    /// <summary>Physical INT32; values are <c>int[]</c> or <c>int?[]</c>.</summary>
    Int32,

    /// <summary>Physical INT64; values are <c>long[]</c> or <c>long?[]</c>.</summary>
    Int64,

    /// <summary>Physical FLOAT (IEEE 754 binary32); values are <c>float[]</c> or <c>float?[]</c>.</summary>
    Float,

    /// <summary>Physical DOUBLE (IEEE 754 binary64); values are <c>double[]</c> or <c>double?[]</c>.</summary>
    Double,

    /// <summary>Physical BOOLEAN; values are <c>bool[]</c> or <c>bool?[]</c>.</summary>
    Boolean,

    /// <summary>Physical BYTE_ARRAY annotated as a UTF-8 string (logical STRING, converted UTF8); values are <c>string?[]</c>.</summary>
    String,
}
