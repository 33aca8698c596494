using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Tables;

/// <summary>The features and examples of <c>stages/evaluate/top_examples.json</c> (format runner-top-examples, version 1).</summary>
public static class TopExamples
{
    /// <summary>One example of a feature.</summary>
    public sealed record Example(double Activation, long Sequence, int Position, int TokenId, string Token, IReadOnlyList<string> ContextTokens, int TokenIndexInContext);

    /// <summary>One feature and its examples, strongest first.</summary>
    public sealed record Feature(int Index, IReadOnlyList<Example> Examples);

    /// <summary>The features of <paramref name="path"/>, or null when the file does not exist.</summary>
    public static IReadOnlyList<Feature>? Read(string path)
    {
        if (!File.Exists(path)) return null;
        var root = RunTables.ReadJson(path) as JsonObject ?? throw RunTables.Malformed(path, "not a JSON object");
        if ((string?)root["format"] != "runner-top-examples")
            throw RunTables.Malformed(path, $"format '{root["format"]}' is not runner-top-examples");
        var features = root["features"] as JsonArray ?? throw RunTables.Malformed(path, "no 'features' array");
        try
        {
            return features.Select((f, i) =>
            {
                var feature = f as JsonObject ?? throw RunTables.Malformed(path, $"features[{i}] is not an object");
                var examples = feature["examples"] as JsonArray ?? throw RunTables.Malformed(path, $"features[{i}] has no 'examples' array");
                return new Feature(Get<int>(feature, "feature", path, i), examples.Select((e, j) =>
                {
                    var o = e as JsonObject ?? throw RunTables.Malformed(path, $"features[{i}].examples[{j}] is not an object");
                    return new Example(
                        JsonColumn.Number(o["activation"] ?? throw RunTables.Malformed(path, $"features[{i}].examples[{j}] has no 'activation'")),
                        Get<long>(o, "sequence", path, i),
                        Get<int>(o, "position", path, i),
                        Get<int>(o, "token_id", path, i),
                        Get<string>(o, "token", path, i),
                        (o["context_tokens"] as JsonArray)?.Select(t => (string?)t ?? "").ToArray() ?? [],
                        Get<int>(o, "token_index_in_context", path, i));
                }).ToList());
            }).ToList();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or JsonException)
        {
            throw RunTables.Malformed(path, e.Message);
        }
    }

    private static T Get<T>(JsonObject o, string key, string path, int feature) =>
        o[key] is { } v ? v.GetValue<T>() : throw RunTables.Malformed(path, $"features[{feature}]: no '{key}'");
}
