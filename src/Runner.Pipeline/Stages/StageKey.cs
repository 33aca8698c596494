using System.Text.Json.Nodes;
using Runner.Pipeline.Hashing;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

/// <summary>
/// The cache key of a stage for a point: SHA-256 of the canonical JSON of
/// <c>{key_format, stage, version, slice, inputs: {stage: key}, environment}</c>, where the slice is
/// <see cref="IStage.SpecSlice"/> minus <see cref="IStage.ExcludedFields"/> and the environment is the
/// fingerprint of what computes (libtorch and shim versions), given by the caller.
/// </summary>
public static class StageKey
{
    /// <summary>Bumping this invalidates every entry (a change to what a key covers).</summary>
    public const int Format = 1;

    /// <summary>The document whose canonical JSON is hashed.</summary>
    public static JsonObject Document(string stage, int version, JsonNode? slice, IReadOnlyDictionary<string, string> inputs, string environment)
    {
        var inputKeys = new JsonObject();
        foreach (var (name, key) in inputs.OrderBy(p => p.Key, StringComparer.Ordinal)) inputKeys[name] = key;
        return new JsonObject
        {
            ["key_format"] = Format,
            ["stage"] = stage,
            ["version"] = version,
            ["slice"] = slice?.DeepClone(),
            ["inputs"] = inputKeys,
            ["environment"] = environment,
        };
    }

    /// <summary>The key (64 lower-case hex digits).</summary>
    public static string Compute(string stage, int version, JsonNode? slice, IReadOnlyDictionary<string, string> inputs, string environment) =>
        CanonicalJson.Sha256(Document(stage, version, slice, inputs, environment));

    /// <summary>The slice that is hashed: <see cref="IStage.SpecSlice"/> without <see cref="IStage.ExcludedFields"/>.</summary>
    public static JsonNode? HashedSlice(IStage stage, ResolvedPoint point) => SpecSlices.Without(stage.SpecSlice(point), stage.ExcludedFields);

    /// <summary>The key of <paramref name="stage"/> for <paramref name="point"/> given its inputs' keys.</summary>
    public static string For(IStage stage, ResolvedPoint point, IReadOnlyDictionary<string, string> inputs, string environment) =>
        Compute(stage.Name, stage.Version, HashedSlice(stage, point), inputs, environment);
}
