using System.Text.Json.Nodes;
using Runner.Core.IO.Parquet;

namespace Runner.Pipeline.Tables;

public static partial class RunTables
{
    // Integer fields of the curves; every other numeric field is a DOUBLE, so the schema does not
    // depend on whether a run's values happened to be whole numbers.
    private static readonly string[] IntegerCurveFields = ["step", "tokens", "total_steps"];

    // One row per curve point: pretrain (the toy LM) first, then the SAE's train curve. Columns are
    // stage, step, tokens, then every other field of either curve (nested objects flattened as a.b).
    private static string? WriteTraining(string path, string run)
    {
        var rows = new List<(string Stage, Dictionary<string, JsonNode?> Fields)>();
        foreach (var stage in new[] { "pretrain", "train" })
        {
            var curvesPath = StageFile(run, stage, "curves.json");
            if (!File.Exists(curvesPath)) continue;
            var points = ReadJson(curvesPath) as JsonArray ?? throw Malformed(curvesPath, "not a JSON array");
            foreach (var (point, i) in points.Select((p, i) => (p, i)))
            {
                var o = point as JsonObject ?? throw Malformed(curvesPath, $"point {i} is not an object");
                if (o["step"] is null) throw Malformed(curvesPath, $"point {i} has no 'step'");
                var fields = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                JsonColumn.Flatten(o, "", fields);
                rows.Add((stage, fields));
            }
        }
        if (rows.Count == 0) return null;
        var names = new List<string> { "step", "tokens" };
        foreach (var (_, fields) in rows) names.AddRange(fields.Keys.Where(k => !names.Contains(k)));

        List<ParquetColumn> schema = [new("stage", ParquetType.String)];
        List<Array> columns = [rows.Select(r => r.Stage).ToArray()];
        foreach (var name in names)
        {
            var values = rows.Select(r => r.Fields.GetValueOrDefault(name)).ToList();
            var (column, array) = JsonColumn.Build(name, values, integers: IntegerCurveFields.Contains(name));
            schema.Add(column);
            columns.Add(array);
        }
        using var writer = new ParquetWriter(path, schema, Options);
        writer.Write(columns);
        return writer.Complete();
    }
}
