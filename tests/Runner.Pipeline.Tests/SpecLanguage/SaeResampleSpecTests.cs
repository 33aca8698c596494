using Runner.Pipeline.Builtin;
using Runner.Pipeline.Hashing;
using Runner.Torch;

namespace Runner.Pipeline.Tests.SpecLanguage;

public sealed class SaeResampleSpecTests
{
    private const string Relu = "name: r\nsae: { architecture: relu, dict_size: 64, batch_size: 1000, tokens: 100_000";

    private static string TrainKey(string yaml) =>
        CanonicalJson.Sha256(new TrainStage().SpecSlice(SpecText.Load(yaml).Points[0])!);

    [Fact]
    public void A_resample_block_maps_to_the_trainers_options_in_whole_steps()
    {
        var spec = SpecText.Load(Relu + ", resample: { every: 25_000, duplicates: 0.95, until: 0.4 } }\n").Points[0].Spec;

        var options = SpecMapping.Trainer(spec, Device.Cpu).Resample!;

        Assert.Equal(25, options.EverySteps);
        Assert.Equal(0.4, options.StopFraction);
        Assert.True(options.Dead);
        Assert.Equal(0.95, options.DuplicateCosine);
    }

    [Fact]
    public void Without_every_nothing_is_resampled_and_the_train_key_is_the_one_before_resampling_existed()
    {
        var spec = SpecText.Load(Relu + " }\n").Points[0].Spec;

        Assert.Null(SpecMapping.Trainer(spec, Device.Cpu).Resample);
        Assert.Equal(TrainKey(Relu + " }\n"), TrainKey(Relu + ", resample: { dead: false } }\n"));
        Assert.DoesNotContain("resample", new TrainStage().SpecSlice(SpecText.Load(Relu + " }\n").Points[0])!.ToJsonString());
    }

    [Fact]
    public void Every_resample_setting_is_part_of_the_train_key()
    {
        var keys = new[]
        {
            TrainKey(Relu + " }\n"),
            TrainKey(Relu + ", resample: { every: 25_000 } }\n"),
            TrainKey(Relu + ", resample: { every: 50_000 } }\n"),
            TrainKey(Relu + ", resample: { every: 25_000, duplicates: 0.95 } }\n"),
            TrainKey(Relu + ", resample: { every: 25_000, until: 0.3 } }\n"),
            TrainKey(Relu + ", resample: { every: 25_000, dead: false, duplicates: 0.95 } }\n"),
        };
        Assert.Equal(keys.Length, keys.Distinct().Count());
    }

    [Fact]
    public void Bad_resample_settings_are_reported_with_their_paths()
    {
        var errors = SpecText.Errors(Relu + ", resample: { every: 0, duplicates: 1.5, evry: 3 } }\n");

        Assert.Contains(errors, e => e.Contains("sae.resample.every: must be >= 1, got 0"));
        Assert.Contains(errors, e => e.Contains("sae.resample.duplicates:"));
        Assert.Contains(errors, e => e.Contains("sae.resample.evry: unknown key") && e.Contains("did you mean every?"));
        Assert.Contains(SpecText.Errors("name: t\nsae: { architecture: topk, resample: { every: 10 } }\n"), e => e.Contains("sae.resample"));
    }
}
