using System.Text.Json.Nodes;
using Runner.Pipeline.Hashing;
using Runner.Pipeline.Stages;
using Runner.Pipeline.Tests.TestKit;

namespace Runner.Pipeline.Tests.Stages;

public sealed class StageKeyTests
{
    private static readonly Dictionary<string, string> CaptureInput = new() { ["capture"] = new string('a', 64) };

    // The train stage of the tests: reads train.* and the device, but log_every and the device
    // (index) change no result.
    private static CountingStage Train() => new("train", "capture") { Paths = ["train", "device"], ExcludedFields = ["train.log_every", "device"] };

    [Fact]
    public void Key_is_pinned_for_a_fixed_stage_slice_inputs_and_environment()
    {
        // A golden value: if this changes, every cache entry in the world misses. Change it only with
        // a deliberate StageKey.Format bump. (Checked independently: Python's json.dumps(sort_keys=True,
        // separators=(",", ":")) of the same document and hashlib.sha256 give the same digest.)
        var slice = JsonNode.Parse("""{"sae":{"lr":2e-4,"k":32,"dict_size":4096,"architecture":"topk"}}""");
        var document = StageKey.Document("train", 3, slice, CaptureInput, "libtorch=2.6.0;shim=1");
        Assert.Equal($$$"""{"environment":"libtorch=2.6.0;shim=1","inputs":{"capture":"{{{new string('a', 64)}}}"},"key_format":1,"slice":{"sae":{"architecture":"topk","dict_size":4096,"k":32,"lr":0.0002}},"stage":"train","version":3}""",
            CanonicalJson.Serialize(document));
        Assert.Equal("5eb70fec444c689b1ad706604b4b98ab859be3e4805bf81f1302d7f78772b98f", StageKey.Compute("train", 3, slice, CaptureInput, "libtorch=2.6.0;shim=1"));
    }

    [Fact]
    public void Key_ignores_key_order_and_how_numbers_are_spelled()
    {
        var a = StageKey.Compute("train", 1, JsonNode.Parse("""{"k":32,"lr":0.0002}"""), CaptureInput, "env");
        var b = StageKey.Compute("train", 1, JsonNode.Parse("""{"lr":2e-4,"k":32.0}"""), CaptureInput, "env");
        Assert.Equal(a, b);
    }

    [Fact]
    public void Excluded_fields_do_not_change_the_key()
    {
        var stage = Train();
        KeyAssert.ExcludedFieldsDoNotChangeTheKey(stage, Points.Make());
        Assert.Equal(StageKey.For(stage, Points.Make(), CaptureInput, "env"),
            StageKey.For(stage, Points.Make(Points.With(Points.With(null, "device", "cuda:1").ToJsonString(), "train.log_every", 1000)), CaptureInput, "env"));
    }

    [Fact]
    public void Fields_outside_the_slice_do_not_change_the_key()
    {
        var stage = Train();
        Assert.Equal(StageKey.For(stage, Points.Make(), CaptureInput, "env"),
            StageKey.For(stage, Points.Make(Points.With(null, "evaluate.tokens", 5)), CaptureInput, "env"));
    }

    [Fact]
    public void Every_included_field_changes_the_key()
    {
        var leaves = KeyAssert.EveryIncludedFieldChangesTheKey(Train(), Points.Make());
        Assert.Equal(["train.dict_size", "train.k", "train.lr"], leaves.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Name_version_inputs_and_environment_each_change_the_key()
    {
        var slice = JsonNode.Parse("""{"k":32}""");
        var baseKey = StageKey.Compute("train", 1, slice, CaptureInput, "env");
        Assert.NotEqual(baseKey, StageKey.Compute("trainx", 1, slice, CaptureInput, "env"));
        Assert.NotEqual(baseKey, StageKey.Compute("train", 2, slice, CaptureInput, "env"));
        Assert.NotEqual(baseKey, StageKey.Compute("train", 1, slice, new Dictionary<string, string> { ["capture"] = new string('b', 64) }, "env"));
        Assert.NotEqual(baseKey, StageKey.Compute("train", 1, slice, new Dictionary<string, string>(), "env"));
        Assert.NotEqual(baseKey, StageKey.Compute("train", 1, slice, CaptureInput, "env2"));
    }
}
