using System.Text.Json.Nodes;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

public sealed class SweepExpansionTests
{
    [Fact]
    public void A_sweep_is_the_cartesian_product_with_the_first_key_varying_slowest()
    {
        var experiment = SpecText.Load("""
            name: grid
            sweep: { sae.k: [16, 32], sae.dict_size: [2048, 4096] }
            """);

        Assert.Equal(["k=16,dict_size=2048", "k=16,dict_size=4096", "k=32,dict_size=2048", "k=32,dict_size=4096"],
            experiment.Points.Select(p => p.RunName));
        Assert.Equal([0, 1, 2, 3], experiment.Points.Select(p => p.Index));
        Assert.Equal(["sae.k", "sae.dict_size"], experiment.SweepKeys);
        Assert.Equal([32, 4096], experiment.Points[3].Varied.Select(kv => (int)kv.Value!));
        Assert.Equal(["sae.k", "sae.dict_size"], experiment.Points[3].Varied.Select(kv => kv.Key));
        Assert.Equal((32, 4096, (double?)null), (experiment.Points[3].Spec.Sae.K!.Value, experiment.Points[3].Spec.Sae.DictSize!.Value, experiment.Points[3].Spec.Sae.Expansion));
        Assert.All(experiment.Points, p => Assert.Equal("grid", p.Experiment));
        Assert.Equal(4, experiment.Points.Select(p => p.SpecHash).Distinct().Count());
    }

    [Fact]
    public void Zip_groups_vary_together_as_one_dimension_at_their_place_in_the_sweep()
    {
        var experiment = SpecText.Load("""
            name: zipped
            sweep:
              seed: [0, 1]
              zip:
                - { sae.lr: [1e-4, 2e-4], sae.batch_size: [1024, 2048] }
              sae.k: [8]
            """);

        Assert.Equal([
            "seed=0,lr=1e-4,batch_size=1024,k=8", "seed=0,lr=2e-4,batch_size=2048,k=8",
            "seed=1,lr=1e-4,batch_size=1024,k=8", "seed=1,lr=2e-4,batch_size=2048,k=8",
        ], experiment.Points.Select(p => p.RunName));
        Assert.Equal((2e-4, 2048), (experiment.Points[3].Spec.Sae.Lr, experiment.Points[3].Spec.Sae.BatchSize));
        Assert.Equal(["seed", "sae.lr", "sae.batch_size", "sae.k"], experiment.SweepKeys);
    }

    [Fact]
    public void A_zip_given_as_one_mapping_is_one_group()
    {
        var experiment = SpecText.Load("""
            name: zipped
            sweep: { zip: { sae.k: [8, 16, 32], sae.dict_size: [256, 512, 1024] } }
            """);

        Assert.Equal(["k=8,dict_size=256", "k=16,dict_size=512", "k=32,dict_size=1024"], experiment.Points.Select(p => p.RunName));
    }

    [Fact]
    public void Keys_sharing_their_last_segment_are_named_by_their_full_path()
    {
        var experiment = SpecText.Load("""
            name: tokens
            sweep: { sae.tokens: [1e6, 2_000_000], data.tokens: [500_000], seed: [1] }
            """);

        Assert.Equal(["sae.tokens=1e6,data.tokens=500000,seed=1", "sae.tokens=2000000,data.tokens=500000,seed=1"],
            experiment.Points.Select(p => p.RunName));
        Assert.Equal([1_000_000L, 2_000_000L], experiment.Points.Select(p => p.Spec.Sae.Tokens));
    }

    [Fact]
    public void Run_names_are_filesystem_safe_and_unique()
    {
        var experiment = SpecText.Load("""
            name: models
            model: { source: hf }
            sweep: { model.id: ["EleutherAI/pythia-70m", "EleutherAI:pythia-70m", gpt2] }
            """);

        Assert.Equal(["id=EleutherAI_pythia-70m", "id=EleutherAI_pythia-70m~2", "id=gpt2"], experiment.Points.Select(p => p.RunName));
    }

    [Fact]
    public void Very_long_run_names_are_shortened_with_a_hash()
    {
        var prompts = string.Join(", ", Enumerable.Range(0, 40).Select(i => $"prompt{i}"));
        var name = SpecText.Load($"name: long\nsweep: {{ steer.prompts: [[{prompts}], [short]] }}\n").Points[0].RunName;

        Assert.Equal(RunNames.MaxLength, name.Length);
        Assert.Matches("^prompts=_prompt0,prompt1,.*~[0-9a-f]{8}$", name);
    }

    [Fact]
    public void A_whole_section_can_be_swept()
    {
        var experiment = SpecText.Load("""
            name: sites
            sweep:
              hook: [{ layer: 0 }, { layer: 0, site: mlp_out }]
            """);

        Assert.Equal([HookSite.ResidPost, HookSite.MlpOut], experiment.Points.Select(p => p.Spec.Hook.Site));
        Assert.Equal(["hook=_layer=0_", "hook=_layer=0,site=mlp_out_"], experiment.Points.Select(p => p.RunName));
    }

    [Fact]
    public void Every_point_is_validated_before_any_is_returned()
    {
        var errors = SpecText.Errors("""
            name: grid
            sae: { architecture: relu }
            sweep:
              sae.architecture: [relu, topk]
              sae.k: [8, 16]
            """);

        // k is fine for topk and a conflict for relu: the two relu points fail, the first is named.
        Assert.Equal(["spec.yaml:5:11: sae.k: conflicts with sae.architecture: relu (only allowed with topk or batchtopk); remove it or set it to null (in sweep point 1 of 4: architecture=relu,k=8)",
            "spec.yaml:5:14: sae.k: conflicts with sae.architecture: relu (only allowed with topk or batchtopk); remove it or set it to null (in sweep point 2 of 4: architecture=relu,k=16)"], errors);
    }

    [Fact]
    public void An_error_every_point_shares_is_reported_once_without_a_point()
    {
        var errors = SpecText.Errors("name: grid\nseed: -1\nsweep: { sae.k: [8, 16] }\n");

        Assert.Equal(["spec.yaml:2:7: seed: must be >= 0, got -1"], errors);
    }

    [Fact]
    public void Overriding_a_swept_key_pins_it_and_the_rest_of_the_sweep_remains()
    {
        var experiment = SpecText.Load("name: grid\nsweep: { sae.k: [16, 32], sae.dict_size: [2048, 4096] }\n", ["sae.k=64"]);

        Assert.Equal(["dict_size=2048", "dict_size=4096"], experiment.Points.Select(p => p.RunName));
        Assert.All(experiment.Points, p => Assert.Equal(64, p.Spec.Sae.K));
    }

    [Fact]
    public void A_swept_key_in_a_zip_cannot_be_pinned_alone()
    {
        var errors = SpecText.Errors("name: grid\nsweep: { zip: [ { sae.k: [16, 32], sae.dict_size: [2048, 4096] } ] }\n", ["sae.k=64"]);

        Assert.Equal(["--set sae.k=64: sae.k: is swept together with other keys in sweep.zip[0]; override sweep.zip instead"], errors);
    }

    [Fact]
    public void The_sweep_itself_can_be_set_or_removed_from_the_command_line()
    {
        const string spec = "name: grid\nsweep: { sae.k: [16, 32] }\n";

        Assert.Equal(["k=16", "k=32", "k=64"], SpecText.Load(spec, ["sweep.sae.k=[16, 32, 64]"]).Points.Select(p => p.RunName));
        Assert.Equal(["k=16,seed=1", "k=32,seed=1"], SpecText.Load(spec, ["sweep.seed=[1]"]).Points.Select(p => p.RunName));
        Assert.Equal(["grid"], SpecText.Load(spec, ["sweep="]).Points.Select(p => p.RunName));
    }

    [Fact]
    public void Expansion_is_deterministic()
    {
        const string spec = "name: grid\nsweep: { seed: [3, 1, 2], zip: { sae.k: [8, 4], sae.lr: [1e-3, 1e-4] } }\n";

        var a = SpecText.Load(spec).Points;
        var b = SpecText.Load(spec).Points;

        Assert.Equal(a.Select(p => (p.RunName, p.SpecHash)), b.Select(p => (p.RunName, p.SpecHash)));
        Assert.Equal("seed=3,k=8,lr=1e-3", a[0].RunName);
    }

    [Fact]
    public void A_sweep_of_a_single_value_still_names_the_run_by_it()
    {
        var experiment = SpecText.Load("name: one\nsweep: { sae.k: [16] }\n");

        Assert.True(experiment.IsSweep);
        Assert.Equal("k=16", Assert.Single(experiment.Points).RunName);
        Assert.Equal(new KeyValuePair<string, JsonNode?>("sae.k", 16).Key, experiment.Points[0].Varied[0].Key);
    }
}
