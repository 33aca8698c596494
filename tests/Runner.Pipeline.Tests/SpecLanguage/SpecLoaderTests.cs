using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

public sealed class SpecLoaderTests
{
    [Fact]
    public void A_missing_spec_file_is_a_spec_error_naming_the_path()
    {
        using var folder = new SpecFolder();

        var e = Assert.Throws<SpecException>(() => folder.Load("experiments/nope.yaml"));

        Assert.Equal(2, e.ExitCode);
        Assert.Equal("experiments/nope.yaml: cannot read spec file: file not found", e.Message);
    }

    [Fact]
    public void Try_load_returns_the_errors_instead_of_throwing()
    {
        var result = SpecText.TryLoad("name: x\nsae: { k: 0 }\n");

        Assert.False(result.IsValid);
        Assert.Null(result.Experiment);
        Assert.Equal(["spec.yaml:2:11: sae.k: must be >= 1, got 0"], result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void A_minimal_spec_resolves_to_one_point_named_after_the_experiment_with_every_default_explicit()
    {
        var experiment = SpecText.Load("name: tiny\n");

        var point = Assert.Single(experiment.Points);
        Assert.Equal(("tiny", "tiny", 0), (point.Experiment, point.RunName, point.Index));
        Assert.Empty(point.Varied);
        Assert.False(experiment.IsSweep);
        Assert.Equal(["name", "seed", "device", "cache", "model", "data", "hook", "sae", "evaluate", "steer", "hooks", "tracking"],
            point.Json.Select(kv => kv.Key));
        Assert.Equal(32, (int)point.Json["sae"]!["k"]!);
        Assert.Equal("resid_post", (string)point.Json["hook"]!["site"]!);
        Assert.Equal("topk", (string)point.Json["sae"]!["architecture"]!);
        Assert.Equal("tiny", (string)point.Json["tracking"]!["mlflow"]!["experiment"]!);
        Assert.Null(point.Json["sae"]!["dict_size"]);
        Assert.True(point.Json["sae"]!.AsObject().ContainsKey("dict_size"));
    }

    [Fact]
    public void A_stage_takes_its_slice_by_the_spec_key_names()
    {
        var point = SpecText.Load("name: slices\nsae: { architecture: relu, dict_size: 1024 }\n").Points[0];

        var sae = point.Json["sae"]!.AsObject();

        Assert.Equal(1024, (int)sae["dict_size"]!);
        Assert.Equal(5.0, (double)sae["l1_coefficient"]!);
        Assert.Null(sae["k"]);
        Assert.Null(sae["expansion"]);
        Assert.Equal(point.Spec.Sae.L1Coefficient, (double)sae["l1_coefficient"]!);
    }

    [Fact]
    public void The_typed_spec_carries_the_same_values_as_the_json()
    {
        var spec = SpecText.Load("""
            name: typed
            seed: 3
            device: cuda:1
            model: { source: hf, id: gpt2, revision: main, dtype: bfloat16 }
            data: { jsonl: corpus/*.jsonl }
            hook: { layer: 5, site: attn_out }
            sae: { architecture: jumprelu, sparsity_mode: step, dict_size: 24576 }
            steer:
              prompts: the
              clamps: [ { feature: 7, scale: -1, positions: generated } ]
              ablate: [3, random]
            tracking: none
            """).Points[0].Spec;

        Assert.Equal((3L, "cuda:1"), (spec.Seed, spec.Device));
        Assert.Equal((ModelSource.Hf, "gpt2", "main", Precision.Bfloat16, (ToyModelSpec?)null), (spec.Model.Source, spec.Model.Id, spec.Model.Revision, spec.Model.Dtype, spec.Model.Toy));
        Assert.Equal(["/virtual/corpus/*.jsonl"], spec.Data.Jsonl!);
        Assert.Equal(("text", (DataCorpus?)null), (spec.Data.TextField, spec.Data.Corpus));
        Assert.Equal((5, HookSite.AttnOut), (spec.Hook.Layer, spec.Hook.Site));
        Assert.Equal((SaeArchitecture.JumpRelu, JumpReluSparsity.Step, (double?)null, (int?)null), (spec.Sae.Architecture, spec.Sae.SparsityMode, spec.Sae.TanhScale, spec.Sae.K));
        Assert.Equal(["the"], spec.Steer.Prompts);
        Assert.Equal(new FeatureRef { Index = 7 }, spec.Steer.Clamps[0].Feature);
        Assert.Equal((-1.0, ClampPositions.Generated), (spec.Steer.Clamps[0].Scale, spec.Steer.Clamps[0].Positions));
        Assert.Equal(["3", "random"], spec.Steer.Ablate.Select(f => f.ToString()));
        Assert.Null(spec.Tracking.Mlflow);
    }

    [Fact]
    public void Paths_resolve_against_the_folder_of_the_file_that_names_them()
    {
        using var folder = new SpecFolder();
        folder.Write("experiments/analyses/top.fsx", "let run ctx = ()\n");
        folder.Write("experiments/spec.yaml", """
            name: paths
            model: { source: hf, path: ../checkpoints/gpt2 }
            data: { files: [data/*.txt, /abs/other.txt] }
            hooks: [analyses/top.fsx]
            cache: { dir: ~/cache }
            """);
        folder.Env["HOME"] = "/home/me";

        var spec = folder.Load("experiments/spec.yaml").Points[0].Spec;

        Assert.Equal(Path.Combine(folder.Root, "checkpoints/gpt2"), spec.Model.Path);
        Assert.Equal([Path.Combine(folder.Root, "experiments/data/*.txt"), "/abs/other.txt"], spec.Data.Files!);
        Assert.Equal(Path.Combine(folder.Root, "experiments/analyses/top.fsx"), spec.Hooks[0].Path);
        Assert.Equal("/home/me/cache", spec.Cache.Dir);
    }

    [Fact]
    public void Evaluation_skips_the_ce_loss_by_default_on_synthetic_data()
    {
        var spec = SpecText.Load("name: synth\ndata: { synthetic: { features: 128 } }\n").Points[0].Spec;

        Assert.False(spec.Evaluate.CeLoss);
        Assert.Equal((128, 64), (spec.Data.Synthetic!.Features, spec.Data.Synthetic.DIn));
        Assert.Null(spec.Data.Corpus);
    }

    [Fact]
    public void Architecture_specific_keys_take_their_defaults_only_for_their_architecture()
    {
        var relu = SpecText.Load("name: a\nsae: { architecture: relu }\n").Points[0].Spec.Sae;
        var jump = SpecText.Load("name: a\nsae: { architecture: jumprelu }\n").Points[0].Spec.Sae;

        Assert.Equal((5.0, 0.05, (int?)null, (double?)null), (relu.L1Coefficient, relu.L1WarmupFraction, relu.K, relu.AuxKCoefficient));
        Assert.Equal((JumpReluSparsity.Tanh, 4.0, 2.0, 0.1, 3e-6), (jump.SparsityMode!.Value, jump.TanhScale!.Value, jump.Bandwidth!.Value, jump.InitThreshold!.Value, jump.PreActCoefficient!.Value));
        Assert.Null(jump.L1Coefficient);
    }

    [Fact]
    public void Yaml_anchors_aliases_and_merge_keys_work_with_explicit_keys_winning_over_merged_ones()
    {
        var sae = SpecText.Load("""
            name: anchors
            data:
              tokens: &n 4096
            sae:
              <<: { batch_size: 256, tokens: 1024 }
              tokens: *n
            """).Points[0].Spec.Sae;

        Assert.Equal((256, 4096L), (sae.BatchSize, sae.Tokens));
    }
}
