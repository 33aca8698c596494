using Runner.Torch;

namespace Runner.Core.Training;

/// <summary>
/// Tokens since each latent last fired, on the training device (no host sync per step). A latent is
/// dead while the count is at least the window; every latent starts alive at 0.
/// </summary>
public sealed class DeadLatentTracker : IDisposable
{
    private readonly Tensor _since; // [d_sae] int64

    /// <summary>A tracker of <paramref name="latents"/> latents with a window of <paramref name="window"/> tokens.</summary>
    public DeadLatentTracker(int latents, long window, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        Window = window;
        _since = Tensors.Zeros([latents], DType.Int64, device).DetachFromScope();
    }

    /// <summary>The window in tokens.</summary>
    public long Window { get; }

    /// <summary>The counters [d_sae] int64 (live view: copy it to keep it).</summary>
    public Tensor TokensSinceFired => _since;

    /// <summary>Adds <paramref name="tokens"/> to every counter and resets those that <paramref name="fired"/> [d_sae] bool.</summary>
    public void Update(Tensor fired, long tokens)
    {
        _since.Add_(tokens);
        _since.MaskedFill_(fired, 0L);
    }

    /// <summary>Resets the counters of <paramref name="latents"/> to 0 (they were re-initialized and start alive).</summary>
    public void Revive(IReadOnlyList<int> latents)
    {
        if (latents.Count == 0) return;
        using var scope = TensorScope.Enter();
        var index = Tensors.From(latents.Select(i => (long)i).ToArray()).To(_since.Device);
        _since.Scatter_(0, index, Tensors.Zeros([latents.Count], DType.Int64, _since.Device));
    }

    /// <summary>Dead latents now: [d_sae] bool (a new tensor in the caller's scope).</summary>
    public Tensor DeadMask() => _since.Ge(Window);

    /// <summary>Fraction of latents dead now (syncs with the device).</summary>
    public double DeadFraction()
    {
        using var scope = TensorScope.Enter();
        return DeadMask().To(DType.Float64).Mean().ToDouble();
    }

    /// <summary>Overwrites the counters (resume).</summary>
    public void Load(Tensor tokensSinceFired)
    {
        using var scope = TensorScope.Enter();
        _since.Copy_(tokensSinceFired);
    }

    /// <inheritdoc/>
    public void Dispose() => _since.Dispose();
}
