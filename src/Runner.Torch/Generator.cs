namespace Runner.Torch;

/// <summary>
/// A seeded random stream (a CPU generator). Random tensors drawn with it are generated on the CPU
/// and moved to their device, so a seed gives the same values on every device.
/// </summary>
public sealed class Generator : IDisposable
{
    private IntPtr _handle;

    /// <summary>Creates a generator seeded with <paramref name="seed"/>.</summary>
    public Generator(ulong seed) => _handle = NativeMethods.Check(NativeMethods.rt_generator_new(seed), "generator");

    internal IntPtr Handle => _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException(nameof(Generator));

    /// <summary>Restarts the stream from <paramref name="seed"/>.</summary>
    public void Seed(ulong seed) => NativeMethods.Check(NativeMethods.rt_generator_seed(Handle, seed), "generator.seed");

    /// <summary>The full state (a uint8 tensor), for checkpoints.</summary>
    public Tensor GetState() => Tensor.Wrap(NativeMethods.rt_generator_get_state(Handle), "generator.get_state");

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(Tensor state) => NativeMethods.Check(NativeMethods.rt_generator_set_state(Handle, state.Handle), "generator.set_state");

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_handle == IntPtr.Zero) return;
        NativeMethods.rt_generator_free(_handle);
        _handle = IntPtr.Zero;
    }
}
