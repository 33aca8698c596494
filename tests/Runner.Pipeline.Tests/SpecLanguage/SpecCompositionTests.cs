using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

/// <summary>include: fragments, the spec's own keys, and --set overrides, in that order of precedence.</summary>
public sealed class SpecCompositionTests
{
    [Fact]
    public void Fragment_then_file_then_set_each_override_the_one_before()
    {
        using var folder = new SpecFolder();
        folder.Write("configs/sae.yaml", "sae: { k: 8, lr: 1e-3, batch_size: 1024 }\nseed: 5\n");
        folder.Write("spec.yaml", "include: [configs/sae.yaml]\nname: layered\nsae: { k: 16, batch_size: 2048 }\n");

        var sae = folder.Load("spec.yaml", "sae.k=32").Points[0].Spec.Sae;

        Assert.Equal((32, 1e-3, 2048), (sae.K!.Value, sae.Lr, sae.BatchSize));
        Assert.Equal(5, folder.Load("spec.yaml").Points[0].Spec.Seed);
    }

    [Fact]
    public void Later_includes_win_over_earlier_ones_and_nested_includes_come_first()
    {
        using var folder = new SpecFolder();
        folder.Write("configs/base.yaml", "seed: 1\ndevice: cpu\nhook: { layer: 0 }\n");
        folder.Write("configs/a.yaml", "include: base.yaml\nseed: 2\n");
        folder.Write("configs/b.yaml", "seed: 3\nhook: { site: mlp_out }\n");
        folder.Write("spec.yaml", "include: [configs/a.yaml, configs/b.yaml]\nname: order\n");

        var experiment = folder.Load("spec.yaml");
        var spec = experiment.Points[0].Spec;

        Assert.Equal((3L, "cpu", 0, HookSite.MlpOut), (spec.Seed, spec.Device, spec.Hook.Layer, spec.Hook.Site));
        Assert.Equal(["spec.yaml", "configs/a.yaml", "configs/base.yaml", "configs/b.yaml"],
            experiment.Files.Select(f => Path.GetRelativePath(folder.Root, f)));
    }

    [Fact]
    public void Lists_replace_rather_than_merge_while_mappings_merge_key_by_key()
    {
        using var folder = new SpecFolder();
        folder.Write("configs/steer.yaml", "steer: { prompts: [a, b, c], generate: { tokens: 10 } }\nmodel: { toy: { layers: 2 } }\n");
        folder.Write("spec.yaml", "include: configs/steer.yaml\nname: lists\nsteer: { prompts: [z], generate: { samples: 3 } }\nmodel: { toy: { d_model: 32 } }\n");

        var spec = folder.Load("spec.yaml").Points[0].Spec;

        Assert.Equal(["z"], spec.Steer.Prompts);
        Assert.Equal((10, 3), (spec.Steer.Generate.Tokens, spec.Steer.Generate.Samples));
        Assert.Equal((2, 32), (spec.Model.Toy!.Layers, spec.Model.Toy.DModel));
    }

    [Fact]
    public void Null_drops_an_included_value_back_to_its_default()
    {
        using var folder = new SpecFolder();
        folder.Write("configs/topk.yaml", "sae: { architecture: topk, k: 64, expansion: 16 }\n");
        folder.Write("spec.yaml", "include: configs/topk.yaml\nname: nulls\nsae: { architecture: relu, k: null, expansion: ~, dict_size: 512 }\n");

        var sae = folder.Load("spec.yaml").Points[0].Spec.Sae;

        Assert.Equal((SaeArchitecture.Relu, (int?)null, (double?)null, 512), (sae.Architecture, sae.K, sae.Expansion, sae.DictSize!.Value));
    }

    [Fact]
    public void A_conflict_between_a_fragment_and_the_file_names_both_places()
    {
        using var folder = new SpecFolder();
        folder.Write("configs/size.yaml", "sae:\n  dict_size: 4096\n");
        folder.Write("spec.yaml", "include: configs/size.yaml\nname: sizes\nsae:\n  expansion: 16\n");

        Assert.Equal(["spec.yaml:4:3: sae.expansion: conflicts with sae.dict_size (at configs/size.yaml:2:3); give only one of dict_size, expansion"],
            folder.Errors("spec.yaml"));
    }

    [Fact]
    public void Include_and_value_paths_in_a_fragment_are_relative_to_the_fragment()
    {
        using var folder = new SpecFolder();
        folder.Write("analyses/top.fsx", "let run ctx = ()\n");
        folder.Write("configs/hooks/top.yaml", "hooks: [../../analyses/top.fsx]\n");
        folder.Write("configs/all.yaml", "include: hooks/top.yaml\n");
        folder.Write("experiments/spec.yaml", "include: ../configs/all.yaml\nname: relative\n");

        var hook = Assert.Single(folder.Load("experiments/spec.yaml").Points[0].Spec.Hooks);

        Assert.Equal(Path.Combine(folder.Root, "analyses/top.fsx"), hook.Path);
    }

    [Fact]
    public void Include_paths_may_use_environment_variables()
    {
        using var folder = new SpecFolder();
        folder.Write("presets/small.yaml", "sae: { k: 4 }\n");
        folder.Write("spec.yaml", "include: ${PRESETS:-presets}/small.yaml\nname: env-include\n");

        Assert.Equal(4, folder.Load("spec.yaml").Points[0].Spec.Sae.K);
    }

    [Fact]
    public void Set_values_are_read_as_yaml_flow_nodes()
    {
        var spec = SpecText.Load("name: flow\n", ["steer.prompts=[the, we went to]", "model={source: hf, id: gpt2}", "sae.lr=3e-4", "name=renamed"]).Points[0].Spec;

        Assert.Equal(["the", "we went to"], spec.Steer.Prompts);
        Assert.Equal((ModelSource.Hf, "gpt2"), (spec.Model.Source, spec.Model.Id));
        Assert.Equal((3e-4, "renamed"), (spec.Sae.Lr, spec.Name));
    }

    [Fact]
    public void Set_reaches_into_lists_by_index_in_either_spelling()
    {
        const string spec = "name: idx\nsteer:\n  prompts: [the]\n  clamps: [ { feature: 1, value: 2 }, { feature: 2, value: 3 } ]\n";

        Assert.Equal(5, SpecText.Load(spec, ["steer.clamps[1].value=5"]).Points[0].Spec.Steer.Clamps[1].Value);
        Assert.Equal(6, SpecText.Load(spec, ["steer.clamps.0.value=6"]).Points[0].Spec.Steer.Clamps[0].Value);
    }

    [Fact]
    public void Set_with_an_empty_value_restores_the_default()
    {
        Assert.Equal(32, SpecText.Load("name: reset\nsae: { k: 8 }\n", ["sae.k="]).Points[0].Spec.Sae.K);
    }

    [Fact]
    public void Later_sets_win_and_set_paths_are_relative_to_the_working_directory()
    {
        var spec = SpecText.Load("name: sets\nmodel: { source: hf, id: gpt2 }\n", ["seed=1", "seed=2", "model.id=", "model.path=ckpt/gpt2"]).Points[0].Spec;

        Assert.Equal((2L, "/virtual/ckpt/gpt2", (string?)null), (spec.Seed, spec.Model.Path, spec.Model.Id));
    }

    [Fact]
    public void A_set_that_creates_a_section_is_validated_like_the_file()
    {
        Assert.Equal(["--set tracking.mlflow.url=http://x: tracking.mlflow.url: unknown key; did you mean uri?"],
            SpecText.Errors("name: t\ntracking: none\n", ["tracking.mlflow.url=http://x"]));
    }

    [Fact]
    public void A_set_value_that_is_not_yaml_is_reported_with_its_key()
    {
        Assert.Equal(["--set steer.prompts=[a, b: steer.prompts: invalid YAML: while parsing a flow sequence, did not find expected ',' or ']'"],
            SpecText.Errors("name: t\n", ["steer.prompts=[a, b"]));
    }
}
