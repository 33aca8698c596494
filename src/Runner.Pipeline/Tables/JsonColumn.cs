using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core.IO.Parquet;

namespace Runner.Pipeline.Tables;

/// <summary>
/// Types a column of JSON values: booleans -> BOOLEAN, integers -> INT64 (when allowed), numbers and
/// the strings "NaN", "Infinity", "-Infinity" (how Runner writes non-finite numbers) -> DOUBLE, other
/// strings -> STRING; objects, arrays and mixed kinds become their JSON text. A missing or null value
/// makes the column optional; a column with no value at all is an optional DOUBLE.
/// </summary>
internal static class JsonColumn
{
    private enum Kind { None, Boolean, Integer, Double, String }

    /// <summary>The Parquet column and its values for <paramref name="values"/> (null = missing).</summary>
    public static (ParquetColumn Column, Array Values) Build(string name, IReadOnlyList<JsonNode?> values, bool integers = true)
    {
        var column = Infer(name, values, integers);
        return (column, Values(column, values));
    }

    /// <summary>The column type that holds every one of <paramref name="values"/>.</summary>
    public static ParquetColumn Infer(string name, IEnumerable<JsonNode?> values, bool integers = true)
    {
        var kind = Kind.None;
        var optional = false;
        foreach (var v in values)
        {
            if (v is null) optional = true;
            else kind = Merge(kind, KindOf(v, integers));
        }
        return kind switch
        {
            Kind.Boolean => new ParquetColumn(name, ParquetType.Boolean, optional),
            Kind.Integer => new ParquetColumn(name, ParquetType.Int64, optional),
            Kind.String => new ParquetColumn(name, ParquetType.String, optional),
            _ => new ParquetColumn(name, ParquetType.Double, optional || kind == Kind.None),
        };
    }

    /// <summary>The values as the array <paramref name="column"/> takes (a type from <see cref="Infer"/> over a superset of them).</summary>
    public static Array Values(ParquetColumn column, IReadOnlyList<JsonNode?> values) => column.Type switch
    {
        ParquetType.Boolean => values.Select(v => v is null ? (bool?)null : v.GetValue<bool>()).ToArray(),
        ParquetType.Int64 => values.Select(v => v is null ? (long?)null : long.Parse(v.ToJsonString(), CultureInfo.InvariantCulture)).ToArray(),
        ParquetType.String => values.Select(Text).ToArray(),
        ParquetType.Double => values.Select(v => v is null ? (double?)null : Number(v)).ToArray(),
        _ => throw new ArgumentException($"no JSON conversion to {column.Type}", nameof(column)),
    };

    /// <summary>The value as a double, reading Runner's "NaN"/"Infinity"/"-Infinity" strings.</summary>
    public static double Number(JsonNode node) => node.GetValueKind() == JsonValueKind.String
        ? node.GetValue<string>() switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var s => throw new FormatException($"'{s}' is not a number"),
        }
        : double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture); // also for values created from int or float

    /// <summary>A string value as it is, anything else as its JSON text; null stays null.</summary>
    public static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    /// <summary>
    /// Flattens nested objects into dotted keys (<c>{"terms": {"l1": 2}}</c> -> <c>terms.l1</c>), appending
    /// to <paramref name="into"/>; arrays and scalars are leaves.
    /// </summary>
    public static void Flatten(JsonObject source, string prefix, IDictionary<string, JsonNode?> into)
    {
        foreach (var (key, value) in source)
        {
            if (value is JsonObject nested) Flatten(nested, prefix + key + ".", into);
            else into[prefix + key] = value;
        }
    }

    private static Kind KindOf(JsonNode node, bool integers)
    {
        if (node is not JsonValue v) return Kind.String;
        return v.GetValueKind() switch
        {
            JsonValueKind.True or JsonValueKind.False => Kind.Boolean,
            JsonValueKind.Number => integers && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? Kind.Integer : Kind.Double,
            JsonValueKind.String => v.GetValue<string>() is "NaN" or "Infinity" or "-Infinity" ? Kind.Double : Kind.String,
            _ => Kind.String,
        };
    }

    private static Kind Merge(Kind a, Kind b) => (a, b) switch
    {
        _ when a == b => a,
        (Kind.None, _) => b,
        (_, Kind.None) => a,
        (Kind.Integer, Kind.Double) or (Kind.Double, Kind.Integer) => Kind.Double,
        _ => Kind.String,
    };
}
