using Runner.Torch;

namespace Runner.Core.Training;

public sealed partial class Trainer
{
    private long _resampledDead;
    private long _resampledDuplicates;

    // After a step that ends an interval: latents that have not fired during it, and the weaker of each
    // near-duplicate pair, restart from high-loss rows of this batch (x: [B, d_in], SAE space).
    private void Resample(Tensor x)
    {
        var options = _options.Resample!;
        using var scope = TensorScope.Enter();
        var dead = _dead.TokensSinceFired.Ge(Math.Min(options.EverySteps, _step) * _options.BatchSize);   // [d_sae] bool
        var result = LatentResampler.Resample(_sae, x, dead, options, Random, _adam);
        _dead.Revive([.. result.Dead, .. result.Duplicates]);
        _resampledDead += result.Dead.Length;
        _resampledDuplicates += result.Duplicates.Length;
    }
}
