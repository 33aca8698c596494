using Runner.Pipeline.Hashing;

namespace Runner.Pipeline.Tests.SpecLanguage;

public sealed class SpecHashTests
{
    private static string Hash(string yaml, params string[] overrides) => SpecText.Load(yaml, overrides).Points[0].SpecHash;

    private const string Spec = """
        name: hashed
        seed: 1
        sae:
          k: 16
          lr: 2e-4
        steer: { prompts: [a, b] }
        """;

    [Fact]
    public void The_spec_hash_is_the_canonical_json_hash_of_the_resolved_spec()
    {
        var point = SpecText.Load(Spec).Points[0];

        Assert.Equal(CanonicalJson.Sha256(point.Json), point.SpecHash);
        Assert.Matches("^[0-9a-f]{64}$", point.SpecHash);
    }

    [Fact]
    public void Key_order_whitespace_comments_and_flow_style_do_not_change_the_hash()
    {
        const string reordered = """
            # the same spec, written differently
            steer:
              prompts:
                - a
                - b
            sae: {lr: 0.0002,   k: 16}   # trailing comment
            seed: 1

            name: hashed
            """;

        Assert.Equal(Hash(Spec), Hash(reordered));
    }

    [Fact]
    public void Spelling_a_number_or_a_default_differently_does_not_change_the_hash()
    {
        Assert.Equal(Hash("name: n\nsae: { tokens: 1000000 }\n"), Hash("name: n\nsae: { tokens: 1_000_000 }\n"));
        Assert.Equal(Hash("name: n\nsae: { tokens: 1000000 }\n"), Hash("name: n\nsae: { tokens: 1e6 }\n"));
        Assert.Equal(Hash("name: n\n"), Hash("name: n\nsae: { k: 32, architecture: topk }\nhooks: []\n"));
        Assert.Equal(Hash("name: n\n"), Hash("name: n\n", "seed=0"));
    }

    [Fact]
    public void Changing_any_value_changes_the_hash()
    {
        var hashes = new[]
        {
            Hash(Spec),
            Hash(Spec, "seed=2"),
            Hash(Spec, "sae.k=17"),
            Hash(Spec, "sae.lr=2.0001e-4"),
            Hash(Spec, "steer.prompts=[b, a]"),
            Hash(Spec, "name=hashed2"),
            Hash(Spec, "sae.log_every=101"),
        };

        Assert.Equal(hashes.Length, hashes.Distinct().Count());
    }
}
