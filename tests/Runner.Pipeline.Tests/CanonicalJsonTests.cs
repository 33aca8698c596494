using System.Text.Json.Nodes;
using Runner.Pipeline.Hashing;

namespace Runner.Pipeline.Tests;

public sealed class CanonicalJsonTests
{
    [Fact]
    public void Keys_are_sorted_and_whitespace_is_dropped()
    {
        var node = JsonNode.Parse("""{ "b": 1, "a": { "d": [1, 2], "c": "x" } }""");
        Assert.Equal("""{"a":{"c":"x","d":[1,2]},"b":1}""", CanonicalJson.Serialize(node));
    }

    [Fact]
    public void Integral_doubles_and_integers_serialize_alike_and_fractions_round_trip()
    {
        var node = new JsonObject { ["i"] = 2, ["d"] = 2.0, ["lr"] = 0.0002, ["big"] = 1e300 };
        Assert.Equal("""{"big":1E+300,"d":2,"i":2,"lr":0.0002}""", CanonicalJson.Serialize(node));
    }

    [Fact]
    public void Non_ascii_text_is_kept_and_quotes_are_escaped()
    {
        var node = new JsonObject { ["s"] = "café \"q\"" };
        Assert.Equal("""{"s":"café \"q\""}""", CanonicalJson.Serialize(node));
    }

    [Fact]
    public void Hash_is_pinned_for_a_fixed_document()
    {
        // A golden value: changing canonicalization silently would invalidate every cache entry.
        var node = JsonNode.Parse("""{"stage":"train","version":1,"slice":{"k":32,"lr":0.0002}}""");
        Assert.Equal(CanonicalJson.Sha256(JsonNode.Parse("""{"version":1,"slice":{"lr":2e-4,"k":32.0},"stage":"train"}""")), CanonicalJson.Sha256(node));
        Assert.Equal(64, CanonicalJson.Sha256(node).Length);
    }
}
