using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core.IO.Parquet;

namespace Runner.Pipeline.Tables;

public static partial class RunTables
{
    private const int SteeringRowGroup = 4096;

    // One row per completion, streamed from completions.jsonl in row groups. The setting's clamps come
    // from settings.json (typed columns when there is exactly one clamp, JSON text always); every
    // other field of the setting's summary.json entry becomes a setting_<field> column.
    private static string WriteSteering(string path, string steer)
    {
        var completionsPath = Path.Combine(steer, "completions.jsonl");
        var clamps = new Dictionary<string, JsonArray>(StringComparer.Ordinal);
        var settingsPath = Path.Combine(steer, "settings.json");
        if (File.Exists(settingsPath))
        {
            foreach (var s in ReadJson(settingsPath) as JsonArray ?? throw Malformed(settingsPath, "not a JSON array"))
            {
                if (s?["label"] is JsonValue label && s["clamps"] is JsonArray c) clamps[label.GetValue<string>()] = c;
            }
        }
        var summaries = new Dictionary<string, Dictionary<string, JsonNode?>>(StringComparer.Ordinal);
        var summaryPath = Path.Combine(steer, "summary.json");
        if (File.Exists(summaryPath))
        {
            foreach (var s in ReadJson(summaryPath) as JsonArray ?? throw Malformed(summaryPath, "not a JSON array"))
            {
                if (s is not JsonObject o || o["setting"] is not JsonValue setting) continue;
                var fields = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                JsonColumn.Flatten(o, "", fields);
                summaries[setting.GetValue<string>()] = fields;
            }
        }
        var summaryFields = summaries.Values.SelectMany(f => f.Keys).Distinct()
            .Where(k => k != "setting" && k != "clamps" && !k.StartsWith("clamps.", StringComparison.Ordinal)).ToList();
        var summaryColumns = summaryFields
            .Select(f => JsonColumn.Infer("setting_" + f, summaries.Values.Select(s => s.GetValueOrDefault(f))) with { Optional = true })
            .ToList();

        ParquetColumn[] fixedColumns =
        [
            new("setting", ParquetType.String),
            new("clamps", ParquetType.String, Optional: true),
            new("clamp_feature", ParquetType.Int32, Optional: true),
            new("clamp_mode", ParquetType.String, Optional: true),
            new("clamp_amount", ParquetType.Double, Optional: true),
            new("prompt", ParquetType.String),
            new("sample", ParquetType.Int32),
            new("text", ParquetType.String) { StringEncoding = ParquetStringEncoding.Plain },
            new("tokens", ParquetType.Int32),
            new("mean_logprob", ParquetType.Double, Optional: true),
        ];
        using var writer = new ParquetWriter(path, [.. fixedColumns, .. summaryColumns], Options);
        var batch = new List<JsonObject>(SteeringRowGroup);
        void Flush()
        {
            if (batch.Count == 0) return;
            var settings = batch.Select(c => (string)c["setting"]!).ToArray();
            var single = settings.Select(s => clamps.GetValueOrDefault(s) is { Count: 1 } c ? c[0] : null).ToArray();
            List<Array> columns =
            [
                settings,
                settings.Select(s => clamps.TryGetValue(s, out var c) ? c.ToJsonString(JsonText) : null).ToArray(),
                single.Select(c => c?["feature"] is { } f ? f.GetValue<int>() : (int?)null).ToArray(),
                single.Select(c => (string?)c?["mode"]).ToArray(),
                single.Select(c => c?["amount"] is { } a ? JsonColumn.Number(a) : (double?)null).ToArray(),
                batch.Select(c => (string?)c["prompt"] ?? "").ToArray(),
                batch.Select(c => c["sample"]?.GetValue<int>() ?? 0).ToArray(),
                batch.Select(c => (string?)c["text"] ?? "").ToArray(),
                batch.Select(c => (c["ids"] as JsonArray)?.Count ?? 0).ToArray(),
                batch.Select(c => c["mean_logprob"] is { } m ? JsonColumn.Number(m) : (double?)null).ToArray(),
            ];
            for (var i = 0; i < summaryFields.Count; i++)
            {
                var field = summaryFields[i];
                columns.Add(JsonColumn.Values(summaryColumns[i], settings.Select(s => summaries.GetValueOrDefault(s)?.GetValueOrDefault(field)).ToList()));
            }
            writer.WriteRowGroup(columns);
            batch.Clear();
        }

        var line = 0;
        foreach (var text in File.ReadLines(completionsPath))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonObject completion;
            try
            {
                completion = JsonNode.Parse(text) as JsonObject ?? throw new JsonException("not an object");
                if (completion["setting"] is not JsonValue) throw new JsonException("no 'setting'");
            }
            catch (JsonException e)
            {
                throw Malformed(completionsPath, $"line {line}: {e.Message}");
            }
            batch.Add(completion);
            if (batch.Count == SteeringRowGroup) Flush();
        }
        Flush();
        return writer.Complete();
    }
}
