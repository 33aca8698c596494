using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Reports;

/// <summary>Reading a run's output files for a report: a missing file is an absent section, a broken one a note.</summary>
internal static class ReportData
{
    /// <summary>
    /// The JSON of <paramref name="path"/>, or null: <paramref name="problem"/> stays null when the file is absent
    /// and says what is wrong when it cannot be read.
    /// </summary>
    public static JsonNode? Read(string path, out string? problem)
    {
        problem = null;
        if (!File.Exists(path)) return null;
        try
        {
            return JsonNode.Parse(File.ReadAllText(path)) ?? throw new JsonException("the file holds null");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            problem = $"could not read {Path.GetFileName(path)}: {e.Message}";
            return null;
        }
    }

    /// <summary>Every JSON object line of a JSON-lines file, or null (see <see cref="Read"/>).</summary>
    public static List<JsonObject>? ReadLines(string path, out string? problem)
    {
        problem = null;
        if (!File.Exists(path)) return null;
        try
        {
            return File.ReadLines(path).Where(l => l.Trim().Length > 0)
                .Select((l, i) => JsonNode.Parse(l) as JsonObject ?? throw new JsonException($"line {i + 1} is not a JSON object"))
                .ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            problem = $"could not read {Path.GetFileName(path)}: {e.Message}";
            return null;
        }
    }

    /// <summary>A JSON number (or "NaN"/"Infinity" string) as a double; NaN for anything else.</summary>
    public static double Number(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string?)v switch
        {
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => double.NaN,
        },
        _ => double.NaN,
    };

    /// <summary>A JSON string, or the JSON text of anything else; "" for null.</summary>
    public static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => (string)v!,
        _ => node.ToJsonString(),
    };
}
