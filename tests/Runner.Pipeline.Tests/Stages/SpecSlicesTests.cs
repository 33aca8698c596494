using System.Text.Json.Nodes;
using Runner.Pipeline.Hashing;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline.Tests.Stages;

public sealed class SpecSlicesTests
{
    private static readonly JsonObject Spec = JsonNode.Parse("""
        { "device": "cuda:1", "sae": { "k": 32, "lr": 0.001, "log_every": 10 }, "hook": { "layer": 0, "site": null }, "steer": { "prompts": ["a"] } }
        """)!.AsObject();

    [Fact]
    public void Take_copies_whole_sections_and_single_fields_at_their_paths()
    {
        var slice = SpecSlices.Take(Spec, "sae", "hook.layer", "device");
        Assert.Equal("""{"device":"cuda:1","hook":{"layer":0},"sae":{"k":32,"log_every":10,"lr":0.001}}""", CanonicalJson.Serialize(slice));
    }

    [Fact]
    public void Take_leaves_absent_paths_absent_and_keeps_explicit_nulls()
    {
        var slice = SpecSlices.Take(Spec, "model", "hook.site", "sae.missing.deeper");
        Assert.Equal("""{"hook":{"site":null}}""", CanonicalJson.Serialize(slice));
    }

    [Fact]
    public void Take_copies_deeply_so_the_spec_cannot_change_through_the_slice()
    {
        var slice = SpecSlices.Take(Spec, "sae");
        slice["sae"]!["k"] = 64;
        Assert.Equal(32, (int)Spec["sae"]!["k"]!);
    }

    [Fact]
    public void Without_removes_nested_fields_from_a_copy()
    {
        var slice = SpecSlices.Take(Spec, "sae", "device");
        var hashed = SpecSlices.Without(slice, ["sae.log_every", "device", "not.there"]);
        Assert.Equal("""{"sae":{"k":32,"lr":0.001}}""", CanonicalJson.Serialize(hashed));
        Assert.Equal(10, (int)slice["sae"]!["log_every"]!);
    }
}
