namespace Runner.Torch;

/// <summary>Autocast on one device type for this thread; restores the previous state when disposed.</summary>
public sealed class AutocastScope : IDisposable
{
    private readonly Device _device;
    private readonly int _previousEnabled;
    private readonly int _previousDType;
    private bool _disposed;

    internal AutocastScope(Device device, DType dtype)
    {
        if (device.IsCpu && dtype != DType.BFloat16)
            throw new ArgumentException($"CPU autocast supports bfloat16 only, got {dtype.Name()}", nameof(dtype));
        if (dtype is not (DType.BFloat16 or DType.Float16))
            throw new ArgumentException($"autocast runs in bfloat16 or float16, got {dtype.Name()}", nameof(dtype));
        _device = device;
        NativeMethods.Check(NativeMethods.rt_autocast_push((int)device.Type, (int)dtype, out _previousEnabled, out _previousDType), "autocast");
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        NativeMethods.Check(NativeMethods.rt_autocast_pop((int)_device.Type, _previousEnabled, _previousDType), "autocast");
    }
}
