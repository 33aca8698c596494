using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

public sealed class ResolvedSpecWriterTests
{
    private static readonly string Golden = Path.Combine(AppContext.BaseDirectory, "Specs", "Golden");

    private static ResolvedPoint LoadFull() =>
        SpecLoader.Load("full.yaml", SpecText.Options(["sae.k=64"], null, Golden)).Points[0];

    [Fact]
    public void The_resolved_yaml_of_a_full_spec_matches_the_golden_file()
    {
        var point = LoadFull();
        var yaml = ResolvedSpecWriter.ToYaml(point)
            .Replace(point.SpecHash, "<hash>")
            .Replace(Path.GetDirectoryName(Golden)!, "<specs>");

        GoldenFile.AssertMatches("Golden/full.resolved.yaml", yaml);
    }

    [Fact]
    public void The_resolved_yaml_loads_back_to_the_same_spec_and_hash()
    {
        using var folder = new SpecFolder();
        foreach (var point in new[] { LoadFull() }.Concat(SpecText.Load("""
                     name: tricky
                     model: { source: hf, id: "EleutherAI/pythia-70m", revision: "0123" }
                     data: { jsonl: ["a b/*.jsonl"], text_field: "#text" }
                     sae: { architecture: jumprelu, expansion: 2.5, lr: 1e-10 }
                     steer:
                       prompts: ["", " pad ", "true", "1e3", "null", "~", "on", "- x", "[a]", "x, y", "line\nbreak", "tab\there", "quote \" and \\ back", "ünï 🙂"]
                       ablate: [random, 0]
                       clamps: [ { feature: 5, value: -1.5e-8 } ]
                     hooks: []
                     tracking: none
                     sweep: { seed: [0, 18446744073709551] }
                     """).Points))
        {
            var file = folder.Write($"resolved-{point.Index}.yaml", ResolvedSpecWriter.ToYaml(point));

            var again = Assert.Single(folder.Load(file).Points);

            Assert.Equal(point.SpecHash, again.SpecHash);
            Assert.Equal(ResolvedSpecWriter.ToYaml(point.Json), ResolvedSpecWriter.ToYaml(again.Json));
        }
    }

    [Fact]
    public void Writing_is_deterministic()
    {
        Assert.Equal(ResolvedSpecWriter.ToYaml(LoadFull()), ResolvedSpecWriter.ToYaml(LoadFull()));
    }

    [Fact]
    public void The_header_names_the_run_and_its_sweep_values()
    {
        var point = SpecText.Load("name: head\nsweep: { sae.k: [8, 16], sae.lr: [1e-3] }\n").Points[1];

        var lines = ResolvedSpecWriter.ToYaml(point).Split('\n');

        Assert.Equal("# Resolved spec of head, run k=16,lr=1e-3", lines[0]);
        Assert.Equal("# Sweep point 2: sae.k=16, sae.lr=0.001", lines[1]);
        Assert.Equal($"# Spec hash {point.SpecHash}", lines[2]);
    }
}
