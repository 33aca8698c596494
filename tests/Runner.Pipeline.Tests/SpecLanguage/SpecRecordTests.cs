using System.Text.Json.Nodes;
using Runner.Pipeline.Hashing;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

/// <summary>The records mirror the schema: same keys, same defaults.</summary>
public sealed class SpecRecordTests
{
    public static TheoryData<string> Specs() => new(
        "name: a\n",
        "name: b\nsae: { architecture: relu, dict_size: 256 }\nmodel: { source: hf, path: ckpt }\ndata: { files: x.txt }\ntracking: none\n",
        "name: c\nsae: { architecture: jumprelu }\ndata: { jsonl: [x.jsonl] }\nmodel: { source: hf, id: gpt2, revision: abc }\n",
        "name: d\nsae: { architecture: batchtopk, aux_k: 128, checkpoint_every: 1e6 }\ndata: { synthetic: {} }\n",
        "name: e\nsteer: { prompts: [p], clamps: [ { feature: 3, add: 2, label: x } ], ablate: [auto:ocean], generate: { top_k: 5, top_p: 0.9 } }\n");

    [Theory]
    [MemberData(nameof(Specs))]
    public void The_typed_spec_serializes_back_to_exactly_the_resolved_json(string yaml)
    {
        var point = SpecText.Load(yaml).Points[0];

        Assert.Equal(CanonicalJson.Serialize(point.Json), CanonicalJson.Serialize(CanonicalJson.ToNode(point.Spec)));
    }

    [Fact]
    public void A_record_built_with_defaults_is_the_spec_that_gives_only_a_name()
    {
        var point = SpecText.Load("name: x\n").Points[0];
        var record = new ExperimentSpec { Name = "x", Tracking = new TrackingSpec { Mlflow = new MlflowSpec { Experiment = "x" } } };

        Assert.Equal(CanonicalJson.Serialize(point.Json), CanonicalJson.Serialize(CanonicalJson.ToNode(record)));
    }

    [Fact]
    public void Clamp_and_hook_records_default_like_the_schema()
    {
        using var folder = new SpecFolder();
        folder.Write("h.fsx", "");
        folder.Write("spec.yaml", "name: x\nsteer: { prompts: [p], clamps: [ { feature: 1, value: 2 } ] }\nhooks: h.fsx\n");
        var json = folder.Load("spec.yaml").Points[0].Json;

        var clamp = new ClampSpec { Feature = new FeatureRef { Index = 1 }, Value = 2 };
        var hook = new HookScriptSpec { Path = Path.Combine(folder.Root, "h.fsx") };

        Assert.Equal(CanonicalJson.Serialize(json["steer"]!["clamps"]![0]), CanonicalJson.Serialize(CanonicalJson.ToNode(clamp)));
        Assert.Equal(CanonicalJson.Serialize(json["hooks"]![0]), CanonicalJson.Serialize(CanonicalJson.ToNode(hook)));
    }

    [Theory]
    [InlineData("auto:bridge", null, "bridge", false)]
    [InlineData("random", null, null, true)]
    public void Feature_references_parse_their_string_forms(string text, int? index, string? topic, bool random)
    {
        Assert.Equal(new FeatureRef { Index = index, Topic = topic, IsRandom = random }, FeatureRef.TryParse(text));
        Assert.Equal(text, FeatureRef.TryParse(text)!.ToString());
    }

    [Theory]
    [InlineData("auto:")]
    [InlineData("auto:two words")]
    [InlineData("bridge")]
    public void Other_strings_are_not_feature_references(string text)
    {
        Assert.Null(FeatureRef.TryParse(text));
    }

    [Fact]
    public void Tracking_none_is_the_string_none_in_json_and_a_null_mlflow_in_the_record()
    {
        var point = SpecText.Load("name: t\ntracking: none\n").Points[0];

        Assert.Equal("none", (string)point.Json["tracking"]!);
        Assert.Null(point.Spec.Tracking.Mlflow);
        Assert.Equal("\"none\"", CanonicalJson.ToNode(point.Spec.Tracking)!.ToJsonString());
        Assert.IsType<JsonObject>(CanonicalJson.ToNode(new TrackingSpec()));
    }
}
