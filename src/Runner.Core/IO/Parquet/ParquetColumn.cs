namespace Runner.Core.IO.Parquet;

/// <summary>
/// One column of a flat Parquet schema. A required column has no definition levels and rejects
/// nulls; an optional one (max definition level 1) accepts them.
/// </summary>
/// <param name="Name">The column name (any non-empty text; dots are part of the name, not nesting).</param>
/// <param name="Type">The value type.</param>
/// <param name="Optional">Whether values may be null.</param>
public sealed record ParquetColumn(string Name, ParquetType Type, bool Optional = false)
{
    /// <summary>How values are encoded when <see cref="Type"/> is <see cref="ParquetType.String"/>; ignored otherwise.</summary>
    public ParquetStringEncoding StringEncoding { get; init; } = ParquetStringEncoding.Auto;
}
