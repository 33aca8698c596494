using System.Text.Json.Nodes;
using Runner.Pipeline.Hashing;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.TestKit;

/// <summary>Builds <see cref="ResolvedPoint"/>s from JSON, as the spec loader would (tiny defaults).</summary>
public static class Points
{
    /// <summary>A small resolved spec with capture/train/evaluate sections.</summary>
    public const string DefaultJson = """
        {
          "name": "exp", "seed": 0, "device": "cpu",
          "data": { "corpus": "planted-topics", "tokens": 1000 },
          "train": { "k": 8, "dict_size": 64, "lr": 0.001, "log_every": 10 },
          "evaluate": { "tokens": 100 }
        }
        """;

    /// <summary>A point of <paramref name="json"/> (default <see cref="DefaultJson"/>).</summary>
    public static ResolvedPoint Make(string? json = null, int index = 0, string? runName = null, IReadOnlyList<KeyValuePair<string, JsonNode?>>? varied = null) =>
        Make(JsonNode.Parse(json ?? DefaultJson)!.AsObject(), index, runName, varied);

    /// <summary>A point of <paramref name="json"/>.</summary>
    public static ResolvedPoint Make(JsonObject json, int index = 0, string? runName = null, IReadOnlyList<KeyValuePair<string, JsonNode?>>? varied = null)
    {
        var name = (string?)json["name"] ?? "exp";
        return new ResolvedPoint
        {
            Experiment = name,
            RunName = runName ?? name,
            Index = index,
            Varied = varied ?? [],
            Json = json,
            Spec = new ExperimentSpec { Name = name, Seed = (long?)json["seed"] ?? 0 },
            SpecHash = CanonicalJson.Sha256(json),
        };
    }

    /// <summary><paramref name="baseJson"/> with the dotted <paramref name="path"/> set to <paramref name="value"/>.</summary>
    public static JsonObject With(string? baseJson, string path, JsonNode? value)
    {
        var json = JsonNode.Parse(baseJson ?? DefaultJson)!.AsObject();
        var parts = path.Split('.');
        var target = json;
        foreach (var part in parts[..^1]) target = (target[part] ??= new JsonObject()).AsObject();
        target[parts[^1]] = value;
        return json;
    }

    /// <summary>One point per value of <paramref name="path"/>, named <c>leaf=value</c>, as a sweep would make them.</summary>
    public static IReadOnlyList<ResolvedPoint> Sweep(string path, params JsonNode[] values) =>
        values.Select((v, i) => Make(With(null, path, v.DeepClone()), i, $"{path.Split('.')[^1]}={v.ToJsonString()}",
            [KeyValuePair.Create(path, (JsonNode?)v.DeepClone())])).ToList();
}
