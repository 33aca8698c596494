namespace Runner.Torch;

// Autograd: leaves that require gradients, backward, gradients.
public sealed partial class Tensor
{
    /// <summary>Whether autograd records operations on this tensor.</summary>
    public bool RequiresGrad
    {
        get => NativeMethods.Check(NativeMethods.rt_requires_grad(Handle), "requires_grad") == 1;
        set => NativeMethods.Check(NativeMethods.rt_set_requires_grad(Handle, value ? 1 : 0), "requires_grad_");
    }

    /// <summary>Sets <see cref="RequiresGrad"/> and returns this tensor.</summary>
    public Tensor RequiresGrad_(bool on = true)
    {
        RequiresGrad = on;
        return this;
    }

    /// <summary>True for tensors created by the user rather than by a recorded operation.</summary>
    public bool IsLeaf => NativeMethods.Check(NativeMethods.rt_is_leaf(Handle), "is_leaf") == 1;

    /// <summary>Accumulates d(this)/d(leaf) into every leaf's <see cref="Grad"/>; this must be a scalar unless <paramref name="gradient"/> is given.</summary>
    public void Backward(Tensor? gradient = null, bool retainGraph = false) =>
        NativeMethods.Check(NativeMethods.rt_backward(Handle, gradient?.Handle ?? TensorHandle.Null, retainGraph ? 1 : 0), "backward");

    /// <summary>
    /// A new handle to the accumulated gradient (sharing its storage: in-place changes reach the
    /// optimizer), or null before the first backward.
    /// </summary>
    public Tensor? Grad
    {
        get
        {
            var p = NativeMethods.rt_grad(Handle);
            if (p != IntPtr.Zero) return Wrap(p, "grad");
            var error = NativeMethods.Text(NativeMethods.rt_last_error());
            return error.Length > 0 ? throw new TorchException("grad", error) : null;
        }
        set => NativeMethods.Check(NativeMethods.rt_set_grad(Handle, value?.Handle ?? TensorHandle.Null), "set_grad");
    }
}
