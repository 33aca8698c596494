using System.Buffers.Binary;
using Runner.Core.IO.Parquet;
using Runner.Core.Tests.IO;

namespace Runner.Core.Tests.Parquet;

/// <summary>The writer's contract apart from decoding (which the independent readers check).</summary>
public sealed class ParquetWriterTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly ParquetColumn[] Schema = [new("id", ParquetType.Int32), new("name", ParquetType.String, Optional: true)];

    [Fact]
    public void A_completed_file_starts_and_ends_with_the_magic_and_its_footer_length_fits()
    {
        var path = _temp["t.parquet"];
        using (var writer = new ParquetWriter(path, Schema))
        {
            writer.WriteRowGroup([new[] { 1, 2, 3 }, new[] { "a", null, "c" }]);
            Assert.Equal(path, writer.Complete());
        }
        var bytes = File.ReadAllBytes(path);
        Assert.Equal("PAR1"u8.ToArray(), bytes[..4]);
        Assert.Equal("PAR1"u8.ToArray(), bytes[^4..]);
        var footer = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(bytes.Length - 8, 4));
        Assert.InRange(footer, 20, bytes.Length - 12);
        Assert.Empty(Directory.GetFiles(_temp.Path, ".*")); // no temporary file left
    }

    [Fact]
    public void The_same_rows_give_the_same_bytes()
    {
        byte[] Write(string name)
        {
            using var writer = new ParquetWriter(_temp[name], Schema);
            writer.WriteRowGroup([Enumerable.Range(0, 500).ToArray(), Enumerable.Range(0, 500).Select(i => i % 7 == 0 ? null : $"n{i % 5}").ToArray()]);
            return File.ReadAllBytes(writer.Complete());
        }
        Assert.Equal(Write("a.parquet"), Write("b.parquet"));
    }

    [Fact]
    public void Disposing_without_completing_leaves_the_previous_file_and_no_temporary_file()
    {
        var path = _temp["t.parquet"];
        File.WriteAllText(path, "previous");
        using (var writer = new ParquetWriter(path, Schema))
        {
            writer.WriteRowGroup([new[] { 1 }, new[] { "a" }]);
        }
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void A_null_in_a_required_column_names_the_column_and_row()
    {
        using var writer = new ParquetWriter(_temp["t.parquet"], [new("x", ParquetType.Double), new("s", ParquetType.String)]);
        var e = Assert.Throws<ArgumentException>(() => writer.WriteRowGroup([new double?[] { 1, null }, new[] { "a", "b" }]));
        Assert.Contains("column 'x' is required but row 1 is null", e.Message);
        e = Assert.Throws<ArgumentException>(() => writer.WriteRowGroup([new double[] { 1, 2 }, new[] { "a", null }]));
        Assert.Contains("column 's' is required but row 1 is null", e.Message);
    }

    [Fact]
    public void An_array_of_the_wrong_type_or_length_is_rejected_with_the_column_name()
    {
        using var writer = new ParquetWriter(_temp["t.parquet"], Schema);
        var e = Assert.Throws<ArgumentException>(() => writer.WriteRowGroup([new long[] { 1 }, new[] { "a" }]));
        Assert.Contains("column 'id' (Int32) takes Int32[] or Int32?[], got Int64[]", e.Message);
        e = Assert.Throws<ArgumentException>(() => writer.WriteRowGroup([new[] { 1, 2 }, new[] { "a" }]));
        Assert.Contains("column 'name' has 1 rows, column 'id' 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => writer.WriteRowGroup([new[] { 1 }]));
        Assert.Contains("2 columns expected, got 1", e.Message);
    }

    [Fact]
    public void Duplicate_or_empty_column_names_are_rejected()
    {
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => new ParquetWriter(_temp["a.parquet"], [new("a", ParquetType.Int32), new("a", ParquetType.Int64)])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => new ParquetWriter(_temp["b.parquet"], [new("", ParquetType.Int32)])).Message);
    }

    [Fact]
    public void Write_splits_rows_into_row_groups_of_the_configured_size()
    {
        using var writer = new ParquetWriter(_temp["t.parquet"], Schema, new ParquetWriterOptions { RowGroupRows = 100 });
        writer.Write([Enumerable.Range(0, 250).ToArray(), new string?[250]]);
        writer.Write([new[] { 1 }, new string?[1]]);
        Assert.Equal(4, writer.RowGroupCount);
        Assert.Equal(251, writer.RowCount);
    }
}
