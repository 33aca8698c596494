using Runner.Core.IO.Parquet;
using Runner.Core.Tests.IO;
using Runner.Tests.Shared;

namespace Runner.Core.Tests.Parquet;

/// <summary>
/// Writes Parquet files with <see cref="ParquetWriter"/> and reads them back with hyparquet,
/// parquet-wasm (apache-arrow) and DuckDB (tests/parquet-compare), comparing every decoded value
/// and every row group's statistics with what was written.
/// </summary>
public sealed class ParquetIndependentReadersTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly ParquetColumn[] AllTypes =
    [
        new("int32", ParquetType.Int32),
        new("int32_optional", ParquetType.Int32, Optional: true),
        new("int64", ParquetType.Int64),
        new("int64_optional", ParquetType.Int64, Optional: true),
        new("float", ParquetType.Float),
        new("float_optional", ParquetType.Float, Optional: true),
        new("double", ParquetType.Double),
        new("double_optional", ParquetType.Double, Optional: true),
        new("boolean", ParquetType.Boolean),
        new("boolean_optional", ParquetType.Boolean, Optional: true),
        new("string_dictionary", ParquetType.String) { StringEncoding = ParquetStringEncoding.Dictionary },
        new("string_plain", ParquetType.String, Optional: true) { StringEncoding = ParquetStringEncoding.Plain },
        new("string_auto", ParquetType.String, Optional: true),
        new("sae.k", ParquetType.Int32, Optional: true), // a dot is part of the name, not nesting
    ];

    private static readonly string[] Words = ["", "a", "golden gate", "Brücke", "橋", "🌉 bridge", "naïve\ttab\nnewline", "\"quoted\" \\ back", "zzz", "\u00e9", "e\u0301"];

    // Row group g of n rows: every type, nulls in patterns that give both RLE runs and bit-packed
    // groups in the definition levels, extreme and special values in fixed places.
    private static Array[] RowGroup(int g, int n)
    {
        var random = new Random(1000 + g);
        bool Null(int i) => g switch
        {
            0 => i % 3 == 1,                 // alternating: bit-packed levels
            1 => i >= 5 && i < n - 5,        // long run of nulls: RLE levels
            2 => true,                       // an all-null chunk
            _ => random.Next(4) == 0,
        };
        int[] int32 = new int[n];
        int?[] int32Optional = new int?[n];
        long[] int64 = new long[n];
        long?[] int64Optional = new long?[n];
        float[] float32 = new float[n];
        float?[] floatOptional = new float?[n];
        double[] float64 = new double[n];
        double?[] doubleOptional = new double?[n];
        bool[] boolean = new bool[n];
        bool?[] booleanOptional = new bool?[n];
        string[] dictionary = new string[n];
        string?[] plain = new string?[n];
        string?[] auto = new string?[n];
        int?[] dotted = new int?[n];
        float[] specialFloats = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.MaxValue, float.MinValue, float.Epsilon, 1e-40f];
        double[] specialDoubles = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0d, double.MaxValue, double.MinValue, double.Epsilon, 0.1 + 0.2];
        for (var i = 0; i < n; i++)
        {
            int32[i] = i switch { 0 => int.MinValue, 1 => int.MaxValue, _ => random.Next(int.MinValue, int.MaxValue) };
            int64[i] = i switch { 0 => long.MinValue, 1 => long.MaxValue, 2 => (1L << 53) + 1, _ => random.NextInt64(long.MinValue, long.MaxValue) };
            float32[i] = g == 0 && i < specialFloats.Length ? specialFloats[i] : (float)(random.NextDouble() * 2e6 - 1e6);
            float64[i] = g == 0 && i < specialDoubles.Length ? specialDoubles[i] : random.NextDouble() * 2e12 - 1e12;
            boolean[i] = g == 3 || random.Next(2) == 0; // row group 3: all true
            dictionary[i] = g == 1 ? "same" : Words[random.Next(Words.Length)];
            var word = Words[random.Next(Words.Length)] + (g == 3 ? i.ToString() : ""); // row group 3: all distinct
            if (Null(i)) continue;
            int32Optional[i] = int32[i] / 2;
            int64Optional[i] = -int64[i] / 3;
            floatOptional[i] = g == 3 && i == 0 ? float.NaN : float32[i];
            doubleOptional[i] = double.IsNaN(float64[i]) ? 0.0 : float64[i]; // a +0 that the -0 minimum rule applies to
            booleanOptional[i] = !boolean[i];
            plain[i] = word;
            auto[i] = g == 3 ? word : Words[random.Next(3)];
            dotted[i] = i;
            if (g == 1)
            {
                // Zero extremes: a -0 maximum must be written +0, a +0 minimum -0 (parquet.thrift, ColumnOrder).
                floatOptional[i] = i == 0 ? -0f : -Math.Abs(float32[i]) - 1;
                doubleOptional[i] = i == 0 ? 0d : Math.Abs(float64[i]) + 1;
            }
        }
        return [int32, int32Optional, int64, int64Optional, float32, floatOptional, float64, doubleOptional, boolean, booleanOptional, dictionary, plain, auto, dotted];
    }

    [Theory]
    [InlineData(ParquetCompression.None)]
    [InlineData(ParquetCompression.Gzip)]
    public void Every_type_with_nulls_and_special_values_reads_back_identically_in_every_reader(ParquetCompression compression)
    {
        ParquetReaders.SkipOrFail();
        var path = _temp[$"all-types-{compression}.parquet"];
        // Small pages so that chunks span several data pages.
        var options = new ParquetWriterOptions { Compression = compression, PageSizeBytes = 512, Metadata = new Dictionary<string, string> { ["runner.test"] = "all types ✓" } };
        IReadOnlyList<Array>[] groups = [RowGroup(0, 300), RowGroup(1, 200), RowGroup(2, 37), RowGroup(3, 1000)];
        using (var writer = new ParquetWriter(path, AllTypes, options))
        {
            foreach (var g in groups) writer.WriteRowGroup(g);
            Assert.Equal(4, writer.RowGroupCount);
            Assert.Equal(1537, writer.RowCount);
            writer.Complete();
        }

        var file = ParquetReaders.Read(path)[path];
        ParquetReaders.AssertColumns(file, Expected(AllTypes, groups));
        ParquetReaders.AssertStatistics(file, AllTypes, groups);
        Assert.Equal("all types ✓", (string?)file["hyparquet"]!["metadata"]!["runner.test"]);
        Assert.StartsWith("runner version ", (string?)file["hyparquet"]!["createdBy"]);
        Assert.Equal(
            ["INTEGER", "INTEGER", "BIGINT", "BIGINT", "FLOAT", "FLOAT", "DOUBLE", "DOUBLE", "BOOLEAN", "BOOLEAN", "VARCHAR", "VARCHAR", "VARCHAR", "INTEGER"],
            file["duckdb"]!["types"]!.AsObject().Select(p => (string)p.Value!));
        Assert.Equal(
            ["Int32", "Int32?", "Int64", "Int64?", "Float32", "Float32?", "Float64", "Float64?", "Bool", "Bool?", "Utf8", "Utf8?", "Utf8?", "Int32?"],
            file["parquet-wasm"]!["types"]!.AsObject().Select(p => (string)p.Value!));

        var chunks = file["hyparquet"]!["rowGroups"]!.AsArray();
        var codec = compression == ParquetCompression.Gzip ? "GZIP" : "UNCOMPRESSED";
        Assert.All(chunks.SelectMany(g => g!["columns"]!.AsArray()), c => Assert.Equal(codec, (string?)c!["codec"]));
        string[] Encodings(int group, string column) =>
            chunks[group]!["columns"]!.AsArray().Single(c => (string?)c!["column"] == column)!["encodings"]!.AsArray().Select(e => (string)e!).ToArray();
        Assert.Contains("RLE_DICTIONARY", Encodings(0, "string_dictionary"));
        Assert.DoesNotContain("RLE_DICTIONARY", Encodings(0, "string_plain"));
        Assert.Contains("RLE_DICTIONARY", Encodings(0, "string_auto"));   // three distinct values
        Assert.DoesNotContain("RLE_DICTIONARY", Encodings(3, "string_auto")); // all distinct
        Assert.DoesNotContain("RLE_DICTIONARY", Encodings(2, "string_auto")); // no values at all
    }

    [Fact]
    public void Streaming_many_row_groups_in_a_loop_keeps_every_value_and_each_groups_statistics()
    {
        ParquetReaders.SkipOrFail();
        var path = _temp["streamed.parquet"];
        ParquetColumn[] schema = [new("row", ParquetType.Int64), new("value", ParquetType.Double, Optional: true), new("label", ParquetType.String)];
        var options = new ParquetWriterOptions { RowGroupRows = 3000, PageSizeBytes = 4096 };
        var groups = new List<IReadOnlyList<Array>>();
        using (var writer = new ParquetWriter(path, schema, options))
        {
            // Batches of 7000 rows through Write: each becomes row groups of 3000, 3000 and 1000 rows.
            for (var batch = 0; batch < 6; batch++)
            {
                var rows = Enumerable.Range(batch * 7000, 7000).Select(i => (long)i).ToArray();
                var values = rows.Select(r => r % 11 == 0 ? (double?)null : Math.Sin(r) * r).ToArray();
                var labels = rows.Select(r => $"label-{r % 97:D3}").ToArray();
                writer.Write([rows, values, labels]);
                for (var start = 0; start < 7000; start += 3000)
                {
                    var n = Math.Min(3000, 7000 - start);
                    groups.Add([rows[start..(start + n)], values[start..(start + n)], labels[start..(start + n)]]);
                }
            }
            Assert.Equal(18, writer.RowGroupCount);
            writer.Complete();
        }

        var file = ParquetReaders.Read(path)[path];
        ParquetReaders.AssertColumns(file, Expected(schema, groups));
        ParquetReaders.AssertStatistics(file, schema, groups);
    }

    [Fact]
    public void A_file_without_rows_reads_as_an_empty_table_in_every_reader()
    {
        ParquetReaders.SkipOrFail();
        var path = _temp["empty.parquet"];
        ParquetColumn[] schema = [new("a", ParquetType.Int32), new("b", ParquetType.String, Optional: true)];
        using (var writer = new ParquetWriter(path, schema))
        {
            writer.WriteRowGroup([Array.Empty<int>(), Array.Empty<string>()]);
            writer.Complete();
        }
        var file = ParquetReaders.Read(path)[path];
        foreach (var reader in ParquetReaders.Names)
        {
            Assert.Equal(0, (int)file[reader]!["rows"]!);
        }
        Assert.Equal(["a", "b"], file["duckdb"]!["types"]!.AsObject().Select(p => p.Key));
    }

    private static List<(string, IReadOnlyList<object?>)> Expected(IReadOnlyList<ParquetColumn> schema, IReadOnlyList<IReadOnlyList<Array>> groups) =>
        schema.Select((c, i) => (c.Name, (IReadOnlyList<object?>)groups.SelectMany(g => g[i].Cast<object?>()).ToList())).ToList();
}
