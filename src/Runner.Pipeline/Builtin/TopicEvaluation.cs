using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core.Data.Planted;
using Runner.Core.IO;
using Runner.Core.Metrics;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// Feature-to-topic matching on eval rows that carry ground-truth topics (the toy model on the planted corpus):
/// per topic the best feature, the auto feature (highest recall among precision >= evaluate.topic_precision),
/// every matching feature, and the best raw activation direction as the baseline. Writes topic_matching.json, which
/// the steer stage reads for <c>auto:TOPIC</c> and <c>ablate: auto:TOPIC</c>.
/// </summary>
internal static class TopicEvaluation
{
    /// <summary>The file in evaluate's entry.</summary>
    public const string FileName = "topic_matching.json";

    public static IReadOnlyDictionary<string, double> Run(string output, ISparseAutoencoder sae, ActivationShardReader eval, PlantedVocabulary vocabulary,
        double threshold, Device device, CancellationToken ct)
    {
        using var matching = new TopicMatching(sae.Options.DSae, vocabulary.Topics.Count, eval.DIn, device);
        foreach (var batch in eval.ReadSequential(4096))
        {
            ct.ThrowIfCancellationRequested();
            using (batch)
            using (var scope = TensorScope.Enter())
            using (TorchRuntime.NoGrad())
            {
                var x = batch.Activations.To(device, DType.Float32);
                var s = sae.InputScale;
                matching.Add(sae.Encode(s == 1 ? x : x * s), batch.Labels!, x);
            }
        }
        var result = matching.Compute(threshold);
        Write(Path.Combine(output, FileName), result, vocabulary);
        return result.Scalars(vocabulary.Topics);
    }

    private static void Write(string path, TopicMatchingResult result, PlantedVocabulary vocabulary)
    {
        static JsonNode? Feature(FeatureMatch? m) => m is null ? null : new JsonObject
        {
            ["feature"] = m.Feature, ["precision"] = m.Precision, ["recall"] = m.Recall, ["fires"] = m.Fires,
        };
        var topics = new JsonObject();
        foreach (var t in result.Topics)
            topics[vocabulary.Topics[t.Topic]] = new JsonObject
            {
                ["tokens"] = t.Tokens,
                ["best"] = Feature(t.Best),
                ["best_f1"] = Feature(t.BestF1),
                ["auto"] = Feature(t.Auto),
                ["matching_features"] = new JsonArray([.. t.MatchingFeatures.Select(f => (JsonNode)f)]),
                ["raw"] = t.Raw is { } r ? new JsonObject { ["direction"] = r.Direction, ["sign"] = r.Sign, ["precision"] = r.Precision, ["recall"] = r.Recall } : null,
            };
        var doc = new JsonObject
        {
            ["format"] = "runner-topic-matching", ["version"] = 1, ["threshold"] = result.Threshold, ["tokens"] = result.Tokens,
            ["topics_recovered"] = result.TopicsRecovered, ["topics"] = topics,
            ["non_topic_features"] = new JsonArray([.. result.NonTopicFeatures.Select(f => (JsonNode)f)]),
        };
        File.WriteAllText(path + ".tmp", doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>
    /// Reads topic_matching.json back: per topic name, the auto feature (or null) and the matching features; and the
    /// features that match no topic (random controls are drawn from them).
    /// </summary>
    public static (IReadOnlyDictionary<string, (int? Auto, int[] Matching)> Topics, int[] NonTopic) Read(string path)
    {
        var doc = JsonNode.Parse(File.ReadAllText(path))!;
        var result = new Dictionary<string, (int?, int[])>(StringComparer.Ordinal);
        foreach (var (name, node) in doc["topics"]!.AsObject())
            result[name] = ((int?)node!["auto"]?["feature"], [.. node["matching_features"]!.AsArray().Select(f => (int)f!)]);
        return (result, [.. doc["non_topic_features"]?.AsArray().Select(f => (int)f!) ?? []]);
    }
}
