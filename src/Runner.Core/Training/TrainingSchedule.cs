namespace Runner.Core.Training;

/// <summary>The step-indexed schedules (step = 0-based index of the step about to run).</summary>
public static class TrainingSchedule
{
    /// <summary>
    /// Learning rate: <paramref name="lr"/>, then over the last ⌊fraction × total⌋ steps a linear
    /// decay that would reach 0 one step after the end (SAELens' linear decay):
    /// lr · (total − step) / decaySteps.
    /// </summary>
    public static double LearningRate(double lr, long step, long totalSteps, double decayFraction)
    {
        var decaySteps = (long)Math.Floor(decayFraction * totalSteps + 1e-9);
        var decayStart = totalSteps - decaySteps;
        return decaySteps == 0 || step < decayStart ? lr : lr * (totalSteps - step) / decaySteps;
    }

    /// <summary>
    /// Sparsity-coefficient multiplier: step / warmupSteps up to 1 over the first
    /// ⌊fraction × total⌋ steps (0 at the first step, as SAELens' L1 warm-up), then 1.
    /// </summary>
    public static double SparsityScale(long step, long totalSteps, double warmupFraction)
    {
        var warmupSteps = (long)Math.Floor(warmupFraction * totalSteps + 1e-9);
        return warmupSteps == 0 || step >= warmupSteps ? 1 : (double)step / warmupSteps;
    }
}
