using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Runner.Core.IO.Parquet;

namespace Runner.Tests.Shared;

/// <summary>
/// Reads Parquet files with the independent readers of tests/parquet-compare (hyparquet, parquet-wasm
/// with apache-arrow, DuckDB) and compares what each decoded with the values that were written.
/// Values travel as compare.mjs writes them: null, numbers, booleans, strings; 64-bit integers as
/// decimal strings; NaN, Infinity, -Infinity and -0 as those strings.
/// </summary>
internal static class ParquetReaders
{
    /// <summary>The readers compare.mjs runs.</summary>
    public static readonly string[] Names = ["hyparquet", "parquet-wasm", "duckdb"];

    private static readonly NpmFolder Folder = new("parquet-compare");

    /// <summary>Skips the calling test without node (fails it when CI is set).</summary>
    public static void SkipOrFail() => Folder.SkipOrFail();

    /// <summary>Per file, per reader, what it decoded; fails when a reader could not read a file.</summary>
    public static IReadOnlyDictionary<string, JsonObject> Read(params string[] paths)
    {
        var stdout = Folder.Run("compare.mjs", paths, TimeSpan.FromMinutes(2));
        var all = JsonNode.Parse(stdout)!.AsObject();
        var result = new Dictionary<string, JsonObject>();
        foreach (var path in paths)
        {
            var file = all[path]!.AsObject();
            foreach (var reader in Names)
            {
                if (file[reader]?["error"] is { } error) Assert.Fail($"{reader} cannot read {path}: {error}");
            }
            result[path] = file;
        }
        return result;
    }

    /// <summary>
    /// Asserts every reader decoded exactly <paramref name="expected"/> (column name -> values, in schema
    /// order); an expected <see cref="JsonNode"/> means a string cell whose JSON parses to it.
    /// </summary>
    public static void AssertColumns(JsonObject file, IReadOnlyList<(string Name, IReadOnlyList<object?> Values)> expected)
    {
        foreach (var reader in Names)
        {
            var columns = file[reader]!["columns"]!.AsObject();
            Assert.Equal(expected.Select(c => c.Name), columns.Select(p => p.Key));
            foreach (var (name, values) in expected)
            {
                var actual = columns[name]!.AsArray();
                Assert.True(values.Count == actual.Count, $"{reader}: column '{name}' has {actual.Count} rows, expected {values.Count}");
                for (var i = 0; i < values.Count; i++)
                {
                    if (values[i] is JsonNode json)
                    {
                        // A cell holding JSON text: compare the parsed value, not its spelling.
                        var parsed = actual[i] is JsonValue text && text.GetValueKind() == System.Text.Json.JsonValueKind.String ? JsonNode.Parse((string)text!) : null;
                        if (!JsonNode.DeepEquals(json, parsed))
                            Assert.Fail($"{reader}: column '{name}' row {i}: expected JSON text {json.ToJsonString()}, got {Show(actual[i])}");
                        continue;
                    }
                    var want = Canonical(values[i]);
                    if (!Same(want, actual[i]))
                        Assert.Fail($"{reader}: column '{name}' row {i}: expected {Show(want)}, got {Show(actual[i])}");
                }
            }
        }
    }

    /// <summary>
    /// Asserts the statistics hyparquet and DuckDB report for every row group and column: the null
    /// count, and min/max of the non-null, non-NaN values (absent when there are none; a zero minimum
    /// is -0, a zero maximum +0; strings by UTF-8 bytes).
    /// </summary>
    public static void AssertStatistics(JsonObject file, IReadOnlyList<ParquetColumn> schema, IReadOnlyList<IReadOnlyList<Array>> rowGroups)
    {
        var hyparquet = file["hyparquet"]!["rowGroups"]!.AsArray();
        var duckdb = file["duckdb"]!["statistics"]!.AsArray();
        Assert.Equal(rowGroups.Count, hyparquet.Count);
        Assert.Equal(rowGroups.Count * schema.Count, duckdb.Count);
        for (var g = 0; g < rowGroups.Count; g++)
        {
            Assert.Equal(rowGroups[g][0].Length, (int)hyparquet[g]!["rows"]!);
            for (var c = 0; c < schema.Count; c++)
            {
                var values = rowGroups[g][c].Cast<object?>().ToList();
                var (nulls, min, max) = ExpectedStatistics(schema[c].Type, values);
                var where = $"row group {g}, column '{schema[c].Name}'";
                var h = hyparquet[g]!["columns"]![c]!;
                Assert.Equal(schema[c].Name, (string?)h["column"]);
                Assert.True(Same(nulls.ToString(CultureInfo.InvariantCulture), h["null_count"]), $"hyparquet {where}: null_count {Show(h["null_count"])}, expected {nulls}");
                Assert.True(Same(Canonical(min), h["min"]), $"hyparquet {where}: min {Show(h["min"])}, expected {Show(Canonical(min))}");
                Assert.True(Same(Canonical(max), h["max"]), $"hyparquet {where}: max {Show(h["max"])}, expected {Show(Canonical(max))}");

                var d = duckdb[g * schema.Count + c]!;
                Assert.Equal(schema[c].Name, (string?)d["path_in_schema"]);
                Assert.Equal(nulls.ToString(CultureInfo.InvariantCulture), (string?)d["stats_null_count"]);
                Assert.True(SameDuckStatistic(min, d["stats_min_value"]), $"duckdb {where}: min {Show(d["stats_min_value"])}, expected {Show(Canonical(min))}");
                Assert.True(SameDuckStatistic(max, d["stats_max_value"]), $"duckdb {where}: max {Show(d["stats_max_value"])}, expected {Show(Canonical(max))}");
            }
        }
    }

    /// <summary>The value as compare.mjs writes it.</summary>
    public static JsonNode? Canonical(object? value) => value switch
    {
        null => null,
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l.ToString(CultureInfo.InvariantCulture)),
        float f => CanonicalDouble(f),
        double d => CanonicalDouble(d),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        _ => throw new ArgumentException($"unexpected value type {value.GetType()}"),
    };

    /// <summary>Equal JSON tokens: both null, equal strings, equal booleans, or numbers with equal double values.</summary>
    public static bool Same(JsonNode? expected, JsonNode? actual)
    {
        if (expected is null || actual is null) return expected is null && actual is null;
        var e = expected.AsValue();
        var a = actual.AsValue();
        if (e.GetValueKind() != a.GetValueKind()) return false;
        return e.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.Number => Number(e) == Number(a),
            System.Text.Json.JsonValueKind.String => e.GetValue<string>() == a.GetValue<string>(),
            _ => e.ToJsonString() == a.ToJsonString(),
        };
    }

    private static double Number(JsonValue v) => double.Parse(v.ToJsonString(), CultureInfo.InvariantCulture);

    private static JsonNode CanonicalDouble(double d) =>
        double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity"
        : d == 0 && double.IsNegative(d) ? "-0" : JsonValue.Create(d);

    private static (long Nulls, object? Min, object? Max) ExpectedStatistics(ParquetType type, List<object?> values)
    {
        var present = values.Where(v => v is not null).ToList();
        var nulls = values.Count - present.Count;
        if (type is ParquetType.Float or ParquetType.Double)
        {
            var numbers = present.Select(v => v is float f ? f : (double)v!).Where(v => !double.IsNaN(v)).ToList();
            if (numbers.Count == 0) return (nulls, null, null);
            double min = numbers.Min(), max = numbers.Max();
            object Typed(double v) => type == ParquetType.Float ? (object)(float)v : v;
            return (nulls, Typed(min == 0 ? -0.0 : min), Typed(max == 0 ? 0.0 : max));
        }
        if (present.Count == 0) return (nulls, null, null);
        if (type == ParquetType.String)
        {
            var ordered = present.Cast<string>().OrderBy(s => Encoding.UTF8.GetBytes(s), Utf8Order.Instance).ToList();
            return (nulls, ordered[0], ordered[^1]);
        }
        var sorted = present.Order().ToList();
        return (nulls, sorted[0], sorted[^1]);
    }

    // DuckDB prints statistics as text: compare numbers by value, everything else as text.
    // parquet_metadata shows an infinite float statistic as NULL (also for DuckDB's own files).
    private static bool SameDuckStatistic(object? expected, JsonNode? actual)
    {
        if (actual is null && expected is float or double && double.IsInfinity(Convert.ToDouble(expected, CultureInfo.InvariantCulture))) return true;
        if (expected is null || actual is null) return expected is null && actual is null;
        var text = (string)actual!;
        return expected switch
        {
            float f => float.Parse(text, CultureInfo.InvariantCulture) == f,
            double d => double.Parse(text, CultureInfo.InvariantCulture) == d,
            bool b => text == (b ? "true" : "false"),
            IFormattable n => text == n.ToString(null, CultureInfo.InvariantCulture),
            _ => text == expected.ToString(),
        };
    }

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "null";

    private sealed class Utf8Order : IComparer<byte[]>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
