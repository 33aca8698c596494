namespace Runner.Core.IO.Parquet;

/// <summary>Enum values and field ids of parquet.thrift that the writer uses.</summary>
internal static class ParquetFormat
{
    public static ReadOnlySpan<byte> Magic => "PAR1"u8;

    // enum Type
    public const int Boolean = 0, Int32 = 1, Int64 = 2, Float = 4, Double = 5, ByteArray = 6;

    // enum FieldRepetitionType
    public const int Required = 0, Optional = 1;

    // enum ConvertedType
    public const int Utf8 = 0;

    // enum Encoding
    public const int Plain = 0, Rle = 3, RleDictionary = 8;

    // enum CompressionCodec
    public const int Uncompressed = 0, Gzip = 2;

    // enum PageType
    public const int DataPage = 0, DictionaryPage = 2;

    public static int PhysicalType(ParquetType type) => type switch
    {
        ParquetType.Int32 => Int32,
        ParquetType.Int64 => Int64,
        ParquetType.Float => Float,
        ParquetType.Double => Double,
        ParquetType.Boolean => Boolean,
        ParquetType.String => ByteArray,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown Parquet type"),
    };
}
