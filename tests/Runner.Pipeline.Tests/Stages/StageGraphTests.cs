using Runner.Core;
using Runner.Pipeline.Stages;
using Runner.Pipeline.Tests.TestKit;

namespace Runner.Pipeline.Tests.Stages;

public sealed class StageGraphTests
{
    [Fact]
    public void Stages_come_after_their_inputs_and_otherwise_keep_registration_order()
    {
        var graph = new StageGraph([new CountingStage("train", "capture"), new CountingStage("capture"), new CountingStage("evaluate", "train", "capture"), new CountingStage("hooks")]);
        Assert.Equal(["capture", "train", "evaluate", "hooks"], graph.Stages.Select(s => s.Name));
    }

    [Fact]
    public void A_cycle_is_rejected_with_its_path()
    {
        var e = Assert.Throws<ArgumentException>(() => new StageGraph([new CountingStage("a", "c"), new CountingStage("b", "a"), new CountingStage("c", "b")]));
        Assert.Equal("stages form a cycle: a -> c -> b -> a", e.Message);
    }

    [Fact]
    public void An_unregistered_input_or_a_bad_name_is_rejected()
    {
        Assert.Equal("stage 'train' reads 'capture', which is not registered",
            Assert.Throws<ArgumentException>(() => new StageGraph([new CountingStage("train", "capture")])).Message);
        Assert.Throws<ArgumentException>(() => new StageGraph([new CountingStage("Train")]));
        Assert.Throws<ArgumentException>(() => new StageGraph([new CountingStage("x"), new CountingStage("x")]));
    }

    [Fact]
    public void Forcing_a_stage_includes_everything_downstream_and_nothing_upstream()
    {
        var graph = new StageGraph([new CountingStage("capture"), new CountingStage("train", "capture"), new CountingStage("evaluate", "train"), new CountingStage("steer", "train"), new CountingStage("other", "capture")]);
        Assert.Equal(["evaluate", "steer", "train"], graph.WithDownstream(["train"]).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Forcing_an_unknown_stage_is_a_usage_error_with_a_suggestion()
    {
        var graph = new StageGraph([new CountingStage("capture"), new CountingStage("train", "capture"), new CountingStage("evaluate", "train")]);
        var e = Assert.Throws<RunnerException>(() => graph.WithDownstream(["trian"]));
        Assert.Equal(2, e.ExitCode);
        Assert.Equal("--force trian: no such stage; did you mean train? (stages: capture, train, evaluate)", e.Message);
    }
}
