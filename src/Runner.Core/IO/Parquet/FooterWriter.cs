namespace Runner.Core.IO.Parquet;

/// <summary>Serializes FileMetaData (parquet.thrift) with the Thrift compact protocol.</summary>
internal static class FooterWriter
{
    public static byte[] Serialize(IReadOnlyList<ParquetColumn> columns, IReadOnlyList<(long Rows, IReadOnlyList<ColumnChunk> Chunks)> rowGroups,
        IReadOnlyDictionary<string, string> metadata, string createdBy)
    {
        var t = new ThriftCompactWriter();
        t.BeginStruct();
        t.FieldI32(1, 1); // version
        t.BeginStructList(2, columns.Count + 1);
        t.BeginStruct(); // the root: a group of every column
        t.FieldString(4, "schema");
        t.FieldI32(5, columns.Count);
        t.EndStruct();
        foreach (var c in columns) SchemaElement(t, c);
        t.FieldI64(3, rowGroups.Sum(g => g.Rows));
        t.BeginStructList(4, rowGroups.Count);
        for (var i = 0; i < rowGroups.Count; i++) RowGroup(t, rowGroups[i].Rows, rowGroups[i].Chunks, i);
        if (metadata.Count > 0)
        {
            t.BeginStructList(5, metadata.Count);
            foreach (var (key, value) in metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                t.BeginStruct();
                t.FieldString(1, key);
                t.FieldString(2, value);
                t.EndStruct();
            }
        }
        t.FieldString(6, createdBy);
        // column_orders: TYPE_ORDER for every column, so readers trust min_value/max_value.
        t.BeginStructList(7, columns.Count);
        foreach (var _ in columns)
        {
            t.BeginStruct();
            t.BeginStructField(1);
            t.EndStruct();
            t.EndStruct();
        }
        t.EndStruct();
        return t.Written.ToArray();
    }

    private static void SchemaElement(ThriftCompactWriter t, ParquetColumn c)
    {
        t.BeginStruct();
        t.FieldI32(1, ParquetFormat.PhysicalType(c.Type));
        t.FieldI32(3, c.Optional ? ParquetFormat.Optional : ParquetFormat.Required);
        t.FieldString(4, c.Name);
        if (c.Type == ParquetType.String)
        {
            t.FieldI32(6, ParquetFormat.Utf8);
            t.BeginStructField(10); // LogicalType union: 1 = StringType
            t.BeginStructField(1);
            t.EndStruct();
            t.EndStruct();
        }
        t.EndStruct();
    }

    private static void RowGroup(ThriftCompactWriter t, long rows, IReadOnlyList<ColumnChunk> chunks, int ordinal)
    {
        t.BeginStruct();
        t.BeginStructList(1, chunks.Count);
        foreach (var c in chunks) ColumnChunk(t, c);
        t.FieldI64(2, chunks.Sum(c => c.UncompressedSize)); // total_byte_size
        t.FieldI64(3, rows);
        t.FieldI64(5, chunks[0].StartOffset); // file_offset
        t.FieldI64(6, chunks.Sum(c => c.CompressedSize));
        t.FieldI16(7, (short)ordinal);
        t.EndStruct();
    }

    private static void ColumnChunk(ThriftCompactWriter t, ColumnChunk c)
    {
        t.BeginStruct();
        t.FieldI64(2, c.StartOffset); // file_offset (deprecated; the chunk's first page)
        t.BeginStructField(3);
        t.FieldI32(1, ParquetFormat.PhysicalType(c.Column.Type));
        t.FieldI32List(2, c.Encodings);
        t.FieldStringList(3, [c.Column.Name]);
        t.FieldI32(4, c.Codec);
        t.FieldI64(5, c.NumValues);
        t.FieldI64(6, c.UncompressedSize);
        t.FieldI64(7, c.CompressedSize);
        t.FieldI64(9, c.DataPageOffset);
        if (c.DictionaryPageOffset is { } dictionary) t.FieldI64(11, dictionary);
        t.BeginStructField(12);
        t.FieldI64(3, c.NullCount);
        if (c.Max is not null) t.FieldBinary(5, c.Max);
        if (c.Min is not null) t.FieldBinary(6, c.Min);
        if (c.Max is not null) t.FieldBool(7, true);
        if (c.Min is not null) t.FieldBool(8, true);
        if (c.NanCount is { } nans) t.FieldI64(9, nans);
        t.EndStruct();
        t.EndStruct();
        t.EndStruct();
    }
}
