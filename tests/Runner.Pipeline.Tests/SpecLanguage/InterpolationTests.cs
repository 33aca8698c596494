using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

public sealed class InterpolationTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["K"] = "64",
        ["TAG"] = "v2",
        ["EMPTY"] = "",
        ["URI"] = "http://mlflow:5000",
    };

    [Fact]
    public void A_whole_plain_value_is_typed_after_interpolation()
    {
        var spec = SpecText.Load("name: env\nsae:\n  k: ${K}\n  lr: ${LR:-3e-4}\n", env: Env).Points[0].Spec;

        Assert.Equal((64, 3e-4), (spec.Sae.K!.Value, spec.Sae.Lr));
    }

    [Fact]
    public void The_default_applies_when_the_variable_is_unset_or_empty_and_may_nest()
    {
        var spec = SpecText.Load("name: run-${TAG}\nmodel: { source: hf, id: \"${EMPTY:-${MODEL:-gpt2}}\" }\n", env: Env).Points[0].Spec;

        Assert.Equal(("run-v2", "gpt2"), (spec.Name, spec.Model.Id));
    }

    [Fact]
    public void A_quoted_value_that_is_exactly_one_interpolation_is_typed_so_flow_mappings_work()
    {
        var spec = SpecText.Load("name: env\nsae: { k: \"${K}\", lr: '${LR:-3e-4}' }\n", env: Env).Points[0].Spec;

        Assert.Equal((64, 3e-4), (spec.Sae.K!.Value, spec.Sae.Lr));
    }

    [Fact]
    public void Quoted_text_around_an_interpolation_or_a_str_tag_keeps_a_string()
    {
        Assert.Equal([
            "spec.yaml:3:6: sae.k: expected an integer, got \"64 \"",
            "spec.yaml:4:7: sae.lr: expected a number, got the string \"64\"",
        ], SpecText.Errors("name: env\nsae:\n  k: \"${K} \"\n  lr: !!str ${K}\n", env: Env));
    }

    [Fact]
    public void Double_dollar_escapes_an_interpolation()
    {
        var spec = SpecText.Load("name: escape\nsteer: { prompts: [\"costs $${K} or $5\"] }\n", env: Env).Points[0].Spec;

        Assert.Equal("costs ${K} or $5", spec.Steer.Prompts[0]);
    }

    [Fact]
    public void Variables_work_in_set_values_and_nested_sections()
    {
        var spec = SpecText.Load("name: env\ntracking: { mlflow: { uri: \"${URI}\" } }\n", ["sae.k=${K}"], Env).Points[0].Spec;

        Assert.Equal(("http://mlflow:5000", 64), (spec.Tracking.Mlflow!.Uri, spec.Sae.K!.Value));
    }

    [Fact]
    public void A_value_that_is_overridden_never_needs_its_variable()
    {
        using var folder = new SpecFolder();
        folder.Write("base.yaml", "sae:\n  lr: ${UNSET_LR}\n");
        folder.Write("spec.yaml", "include: base.yaml\nname: lazy\nsae: { lr: 1e-3 }\n");

        Assert.Equal(1e-3, folder.Load("spec.yaml").Points[0].Spec.Sae.Lr);
    }

    [Fact]
    public void Every_unset_variable_is_reported_at_its_value()
    {
        Assert.Equal([
            "spec.yaml:1:7: name: environment variable NAME is not set (write ${NAME:-default} to give a default)",
            "spec.yaml:2:25: model.id: invalid variable name \"1X\" in ${1X}",
        ], SpecText.Errors("name: ${NAME}\nmodel: {source: hf, id: \"${1X}\"}\n"));
    }
}
