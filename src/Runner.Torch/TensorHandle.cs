using System.Runtime.InteropServices;

namespace Runner.Torch;

/// <summary>
/// Owns one native at::Tensor handle. Passing it to a native call keeps it alive for the call's
/// duration; disposal is deterministic (scopes); the finalizer is only a backstop.
/// </summary>
internal sealed class TensorHandle : SafeHandle
{
    /// <summary>A null handle for optional tensor arguments.</summary>
    internal static readonly TensorHandle Null = new(IntPtr.Zero, ownsHandle: false);

    internal TensorHandle(IntPtr handle, bool ownsHandle = true) : base(IntPtr.Zero, ownsHandle) => SetHandle(handle);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.rt_free(handle);
        return true;
    }
}
