using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Core.Tests.Training;

public sealed class TrainingScheduleTests
{
    [Fact]
    public void Learning_rate_is_flat_then_decays_linearly_over_the_last_fraction()
    {
        var lrs = Enumerable.Range(0, 10).Select(s => TrainingSchedule.LearningRate(1, s, 10, 0.3)).ToArray();
        Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 2 / 3.0, 1 / 3.0], lrs, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(1, TrainingSchedule.LearningRate(1, 9, 10, 0));
    }

    [Fact]
    public void Fractions_that_are_inexact_in_binary_still_give_whole_steps()
    {
        // 0.29 × 100 = 28.999999999999996 in doubles: the decay must still cover 29 steps
        Assert.Equal(1, TrainingSchedule.LearningRate(1, 70, 100, 0.29));
        Assert.Equal(29 / 29.0, TrainingSchedule.LearningRate(1, 71, 100, 0.29));
    }

    [Fact]
    public void Sparsity_scale_rises_from_zero_over_the_warm_up_then_stays_one()
    {
        var scales = Enumerable.Range(0, 6).Select(s => TrainingSchedule.SparsityScale(s, 20, 0.2)).ToArray();
        Assert.Equal([0, 0.25, 0.5, 0.75, 1, 1], scales);
        Assert.Equal(1, TrainingSchedule.SparsityScale(0, 20, 0));
        Assert.Equal(0.5, TrainingSchedule.SparsityScale(10, 20, 1));   // jumprelu: warm-up over the whole run
    }

    [Fact]
    public void Dead_tracker_counts_tokens_since_each_latent_fired()
    {
        using var scope = TensorScope.Enter();
        using var tracker = new DeadLatentTracker(3, window: 100, Device.Cpu);
        tracker.Update(Tensors.From([true, false, false]), 60);
        tracker.Update(Tensors.From([false, true, false]), 60);
        Assert.Equal([60L, 0, 120], tracker.TokensSinceFired.ToArray<long>());
        Assert.Equal([false, false, true], tracker.DeadMask().ToArray<bool>());
        Assert.Equal(1 / 3.0, tracker.DeadFraction(), 1e-12);
        tracker.Update(Tensors.From([false, false, false]), 40);
        Assert.Equal([true, false, true], tracker.DeadMask().ToArray<bool>());   // 100 tokens: dead at exactly the window
    }
}
