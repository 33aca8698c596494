using System.Runtime.InteropServices;
using System.Text.Json;
using Runner.Core;
using Runner.Core.IO;
using Runner.Core.IO.Parquet;
using Runner.Torch;

namespace Runner.Pipeline.Tables;

public static partial class RunTables
{
    // Statistics the evaluate stage writes, in this column order; any other 1-D float tensor of the same length follows by name.
    private static readonly string[] KnownStatistics = ["density", "max_activation", "mean_activation", "mean_activation_when_active", "max_decoder_cosine"];

    private static string WriteFeatures(string path, string statsPath, IReadOnlyList<TopExamples.Feature>? examples)
    {
        using var stats = SafetensorsFile.Open(statsPath);
        var vectors = stats.Tensors
            .Where(t => t.Shape.Count == 1 && t.DType is DType.Float64 or DType.Float32 or DType.Float16 or DType.BFloat16)
            .OrderBy(t => Array.IndexOf(KnownStatistics, t.Name) is var k && k < 0 ? int.MaxValue : k)
            .ThenBy(t => t.Name, StringComparer.Ordinal)
            .ToList();
        if (vectors.Count == 0) throw Malformed(statsPath, "no per-feature statistic (1-D float tensor)");
        var n = checked((int)vectors[0].Shape[0]);
        var mismatch = vectors.FirstOrDefault(v => v.Shape[0] != n);
        if (mismatch is not null) throw Malformed(statsPath, $"'{mismatch.Name}' has {mismatch.Shape[0]} features, '{vectors[0].Name}' {n}");

        var topTokens = new string?[n];
        foreach (var f in examples ?? [])
        {
            if (f.Index >= 0 && f.Index < n && f.Examples.Count > 0)
                topTokens[f.Index] = JsonSerializer.Serialize(f.Examples.Select(e => e.Token).ToArray(), JsonText);
        }
        List<ParquetColumn> schema = [new("feature", ParquetType.Int32)];
        List<Array> columns = [Enumerable.Range(0, n).ToArray()];
        foreach (var v in vectors)
        {
            schema.Add(new ParquetColumn(v.Name, ParquetType.Double));
            columns.Add(ReadDoubles(stats, v.Name, v.DType, n));
        }
        schema.Add(new ParquetColumn("top_tokens", ParquetType.String, Optional: true));
        columns.Add(topTokens);
        using var writer = new ParquetWriter(path, schema, Options);
        writer.Write(columns);
        return writer.Complete();
    }

    private static double[] ReadDoubles(SafetensorsFile file, string name, DType dtype, int n)
    {
        var bytes = new byte[n * dtype.ElementSize()];
        file.CopyBytes(name, bytes);
        return dtype switch
        {
            DType.Float64 => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
            DType.Float32 => MemoryMarshal.Cast<byte, float>(bytes).ToArray().Select(f => (double)f).ToArray(),
            DType.Float16 => MemoryMarshal.Cast<byte, Half>(bytes).ToArray().Select(h => (double)h).ToArray(),
            // bfloat16 is the upper half of a float32.
            _ => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(b => (double)BitConverter.Int32BitsToSingle(b << 16)).ToArray(),
        };
    }

    private static string WriteTopExamples(string path, IReadOnlyList<TopExamples.Feature> features)
    {
        ParquetColumn[] schema =
        [
            new("feature", ParquetType.Int32),
            new("rank", ParquetType.Int32),
            new("activation", ParquetType.Double),
            new("token", ParquetType.String),
            new("token_id", ParquetType.Int32),
            new("context", ParquetType.String) { StringEncoding = ParquetStringEncoding.Plain },
            new("token_index_in_context", ParquetType.Int32),
            new("sequence", ParquetType.Int64),
            new("position", ParquetType.Int32),
        ];
        var rows = features.SelectMany(f => f.Examples.Select((e, i) => (Feature: f.Index, Rank: i + 1, Example: e))).ToList();
        using var writer = new ParquetWriter(path, schema, Options);
        writer.Write(
        [
            rows.Select(r => r.Feature).ToArray(),
            rows.Select(r => r.Rank).ToArray(),
            rows.Select(r => r.Example.Activation).ToArray(),
            rows.Select(r => r.Example.Token).ToArray(),
            rows.Select(r => r.Example.TokenId).ToArray(),
            rows.Select(r => JsonSerializer.Serialize(r.Example.ContextTokens, JsonText)).ToArray(),
            rows.Select(r => r.Example.TokenIndexInContext).ToArray(),
            rows.Select(r => r.Example.Sequence).ToArray(),
            rows.Select(r => r.Example.Position).ToArray(),
        ]);
        return writer.Complete();
    }
}
