namespace Runner.Torch;

// Moving between devices and dtypes, copying, detaching.
public sealed partial class Tensor
{
    /// <summary>This tensor on <paramref name="device"/> as <paramref name="dtype"/> (this tensor's storage when nothing changes, unless <paramref name="copy"/>).</summary>
    public Tensor To(Device device, DType dtype, bool copy = false) =>
        Wrap(NativeMethods.rt_to(Handle, (int)dtype, (int)device.Type, device.Index, 0, copy ? 1 : 0), "to");
    /// <summary>This tensor on <paramref name="device"/>.</summary>
    public Tensor To(Device device) => To(device, DType);
    /// <summary>This tensor as <paramref name="dtype"/>.</summary>
    public Tensor To(DType dtype) => To(Device, dtype);
    /// <summary>This tensor on the CPU.</summary>
    public Tensor Cpu() => To(Device.Cpu);
    /// <summary>A copy with its own storage (autograd records it).</summary>
    public Tensor Clone() => Wrap(NativeMethods.rt_clone(Handle), "clone");
    /// <summary>The same storage, cut from the autograd graph.</summary>
    public Tensor Detach() => Wrap(NativeMethods.rt_detach(Handle), "detach");

    /// <summary>Zeros of this tensor's shape, dtype and device.</summary>
    public Tensor ZerosLike() => Like(0, 0);
    /// <summary>Ones of this tensor's shape, dtype and device.</summary>
    public Tensor OnesLike() => Like(1, 0);
    /// <summary><paramref name="value"/> everywhere, with this tensor's shape, dtype and device.</summary>
    public Tensor FullLike(Scalar value) => Like(2, value);
    /// <summary>Uninitialized, with this tensor's shape, dtype and device.</summary>
    public Tensor EmptyLike() => Like(3, 0);

    private Tensor Like(int kind, Scalar s) => Wrap(NativeMethods.rt_like(Handle, kind, s.Double, s.Long, s.Kind), "like");
}
