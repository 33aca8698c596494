namespace Runner.Torch;

/// <summary>Operations on the gradients of a set of parameters.</summary>
public static class Gradients
{
    /// <summary>
    /// Scales the gradients so their global L2 norm is at most <paramref name="maxNorm"/>
    /// (torch.nn.utils.clip_grad_norm_); returns the norm before clipping.
    /// </summary>
    public static unsafe double ClipNorm(IReadOnlyList<Tensor> parameters, double maxNorm)
    {
        if (maxNorm <= 0) throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "max norm must be positive");
        var handles = Tensors.Handles(parameters);
        fixed (IntPtr* p = handles)
        {
            NativeMethods.Check(NativeMethods.rt_clip_grad_norm(p, handles.Length, maxNorm, out var total), "clip_grad_norm");
            GC.KeepAlive(parameters);
            return total;
        }
    }
}
