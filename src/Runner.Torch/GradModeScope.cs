namespace Runner.Torch;

/// <summary>Sets autograd recording on this thread, restoring the previous mode when disposed.</summary>
public sealed class GradModeScope : IDisposable
{
    private readonly bool _previous;
    private bool _disposed;

    internal GradModeScope(bool enabled)
    {
        _previous = NativeMethods.rt_grad_enabled() == 1;
        NativeMethods.rt_set_grad_enabled(enabled ? 1 : 0);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMethods.rt_set_grad_enabled(_previous ? 1 : 0);
    }
}
