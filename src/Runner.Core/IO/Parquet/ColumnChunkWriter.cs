using System.Buffers.Binary;
using System.IO.Compression;

namespace Runner.Core.IO.Parquet;

/// <summary>
/// Writes one column chunk: an optional dictionary page, then data pages (format v1: definition
/// levels as a 4-byte length and the RLE hybrid, then the values), each page compressed as a whole.
/// </summary>
internal static class ColumnChunkWriter
{
    /// <summary>Writes the chunk at <paramref name="position"/> (the stream's current offset in the file) and returns its metadata.</summary>
    public static ColumnChunk Write(Stream file, ref long position, ParquetColumn column, ColumnValues values, ParquetWriterOptions options)
    {
        var dictionary = values is ColumnValues.StringValues strings ? Dictionary(column, strings, options) : null;
        long uncompressed = 0, compressed = 0;
        long? dictionaryOffset = null;
        if (dictionary is not null)
        {
            dictionaryOffset = position;
            using var body = new MemoryStream();
            ColumnValues.StringValues.WritePlainStrings(body, dictionary.Values);
            WritePage(file, ref position, ref uncompressed, ref compressed, options.Compression, body, ParquetFormat.DictionaryPage, dictionary.Values.Length, ParquetFormat.Plain);
        }

        var dataOffset = position;
        var defined = values.Defined;
        double perIndex = dictionary is null ? 0 : dictionary.BitWidth / 8.0;
        for (int row = 0, value = 0; row < values.Rows;)
        {
            int firstRow = row, firstValue = value;
            double bytes = 0;
            while (row < values.Rows && (row == firstRow || bytes < options.PageSizeBytes))
            {
                if (defined is null || defined[row])
                {
                    bytes += dictionary is null ? values.PlainBytes(value) : perIndex;
                    value++;
                }
                if (column.Optional) bytes += 0.125;
                row++;
            }
            using var body = new MemoryStream();
            if (column.Optional) WriteDefinitionLevels(body, defined, firstRow, row);
            if (dictionary is null)
            {
                values.WritePlain(body, firstValue, value);
            }
            else
            {
                body.WriteByte((byte)dictionary.BitWidth);
                RleHybridEncoder.Encode(dictionary.Indices.AsSpan(firstValue, value - firstValue), dictionary.BitWidth, body);
            }
            WritePage(file, ref position, ref uncompressed, ref compressed, options.Compression, body, ParquetFormat.DataPage, row - firstRow,
                dictionary is null ? ParquetFormat.Plain : ParquetFormat.RleDictionary);
        }

        List<int> encodings = dictionary is null ? [ParquetFormat.Plain] : [ParquetFormat.Plain, ParquetFormat.RleDictionary];
        if (column.Optional) encodings.Insert(1, ParquetFormat.Rle);
        var (min, max) = values.MinMax(options.MaxStatisticsBytes);
        return new ColumnChunk
        {
            Column = column,
            Encodings = encodings,
            Codec = options.Compression == ParquetCompression.Gzip ? ParquetFormat.Gzip : ParquetFormat.Uncompressed,
            NumValues = values.Rows,
            UncompressedSize = uncompressed,
            CompressedSize = compressed,
            DataPageOffset = dataOffset,
            DictionaryPageOffset = dictionaryOffset,
            NullCount = values.Rows - values.Count,
            NanCount = values.NanCount,
            Min = min,
            Max = max,
        };
    }

    private sealed record DictionaryEncoding(byte[][] Values, int[] Indices, int BitWidth);

    private static DictionaryEncoding? Dictionary(ParquetColumn column, ColumnValues.StringValues strings, ParquetWriterOptions options)
    {
        if (column.StringEncoding == ParquetStringEncoding.Plain || strings.Count == 0) return null;
        var auto = column.StringEncoding == ParquetStringEncoding.Auto;
        var ids = new Dictionary<byte[], int>(ByteArrayComparer.Instance);
        var distinct = new List<byte[]>();
        var indices = new int[strings.Count];
        long bytes = 0;
        for (var i = 0; i < strings.Count; i++)
        {
            var v = strings.Utf8[i];
            if (!ids.TryGetValue(v, out var id))
            {
                id = distinct.Count;
                ids[v] = id;
                distinct.Add(v);
                bytes += 4 + v.Length;
                if (auto && (bytes > options.MaxDictionaryBytes || distinct.Count > strings.Count / 2)) return null;
            }
            indices[i] = id;
        }
        return new DictionaryEncoding(distinct.ToArray(), indices, RleHybridEncoder.BitWidth(distinct.Count - 1));
    }

    // Max definition level 1: 1 = present, 0 = null.
    private static void WriteDefinitionLevels(MemoryStream body, bool[]? defined, int firstRow, int endRow)
    {
        var levels = new int[endRow - firstRow];
        for (var i = 0; i < levels.Length; i++) levels[i] = defined is null || defined[firstRow + i] ? 1 : 0;
        using var encoded = new MemoryStream();
        RleHybridEncoder.Encode(levels, bitWidth: 1, encoded);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, (int)encoded.Length);
        body.Write(length);
        encoded.WriteTo(body);
    }

    private static void WritePage(Stream file, ref long position, ref long uncompressedTotal, ref long compressedTotal,
        ParquetCompression compression, MemoryStream body, int pageType, int numValues, int encoding)
    {
        var stored = body;
        MemoryStream? gzipped = null;
        if (compression == ParquetCompression.Gzip)
        {
            gzipped = new MemoryStream();
            using (var gzip = new GZipStream(gzipped, CompressionLevel.Optimal, leaveOpen: true))
                body.WriteTo(gzip);
            stored = gzipped;
        }
        try
        {
            if (body.Length > int.MaxValue || stored.Length > int.MaxValue)
                throw new ArgumentException($"a page of column data exceeds 2 GiB; lower {nameof(ParquetWriterOptions.PageSizeBytes)}");
            var header = new ThriftCompactWriter();
            header.BeginStruct();
            header.FieldI32(1, pageType);
            header.FieldI32(2, (int)body.Length);
            header.FieldI32(3, (int)stored.Length);
            if (pageType == ParquetFormat.DataPage)
            {
                header.BeginStructField(5);
                header.FieldI32(1, numValues);
                header.FieldI32(2, encoding);
                header.FieldI32(3, ParquetFormat.Rle);
                header.FieldI32(4, ParquetFormat.Rle);
                header.EndStruct();
            }
            else
            {
                header.BeginStructField(7);
                header.FieldI32(1, numValues);
                header.FieldI32(2, encoding);
                header.EndStruct();
            }
            header.EndStruct();
            file.Write(header.Written);
            stored.WriteTo(file);
            position += header.Written.Length + stored.Length;
            uncompressedTotal += header.Written.Length + body.Length;
            compressedTotal += header.Written.Length + stored.Length;
        }
        finally
        {
            gzipped?.Dispose();
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
