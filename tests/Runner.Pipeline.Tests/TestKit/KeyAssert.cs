using System.Text.Json.Nodes;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline.Tests.TestKit;

/// <summary>
/// The two checks every stage's key owes: its excluded fields change nothing, and every other field
/// of its slice changes the key. Real stages' tests call these with a typical point.
/// </summary>
public static class KeyAssert
{
    private static readonly Dictionary<string, string> NoInputs = [];

    /// <summary>Changing any of <see cref="IStage.ExcludedFields"/> in <paramref name="point"/> leaves the key as it is.</summary>
    public static void ExcludedFieldsDoNotChangeTheKey(IStage stage, ResolvedPoint point)
    {
        var key = StageKey.For(stage, point, NoInputs, "env");
        foreach (var path in stage.ExcludedFields)
            Assert.True(key == StageKey.For(stage, Changed(point, path), NoInputs, "env"), $"{stage.Name}: changing excluded field {path} changed the key");
    }

    /// <summary>Changing any leaf of the hashed slice of <paramref name="point"/> changes the key; returns the leaves checked.</summary>
    public static IReadOnlyList<string> EveryIncludedFieldChangesTheKey(IStage stage, ResolvedPoint point)
    {
        var key = StageKey.For(stage, point, NoInputs, "env");
        var leaves = StageKey.HashedSlice(stage, point) is JsonObject slice ? Leaves(slice, "").ToList() : [];
        foreach (var path in leaves)
            Assert.True(key != StageKey.For(stage, Changed(point, path), NoInputs, "env"), $"{stage.Name}: changing {path} did not change the key");
        return leaves;
    }

    // The slice mirrors spec paths (SpecSlices.Take), so a slice path is also a spec path.
    private static ResolvedPoint Changed(ResolvedPoint point, string path)
    {
        var json = point.Json.DeepClone().AsObject();
        var parts = path.Split('.');
        var target = json;
        foreach (var part in parts[..^1]) target = (target[part] ??= new JsonObject()).AsObject();
        target[parts[^1]] = target[parts[^1]] is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.String ? $"{v}-changed" : 12345.5;
        return Points.Make(json, point.Index, point.RunName, point.Varied);
    }

    private static IEnumerable<string> Leaves(JsonObject node, string prefix) =>
        node.SelectMany(p => p.Value is JsonObject child && child.Count > 0 ? Leaves(child, $"{prefix}{p.Key}.") : [$"{prefix}{p.Key}"]);
}
