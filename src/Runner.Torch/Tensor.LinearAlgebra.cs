namespace Runner.Torch;

// Matrix products.
public sealed partial class Tensor
{
    /// <summary>Matrix product with broadcasting of batch dimensions (torch.matmul).</summary>
    public Tensor Matmul(Tensor other) => Wrap(NativeMethods.rt_matmul(Handle, other.Handle), "matmul");
    /// <summary>2-d matrix product: [n, k] @ [k, m] -> [n, m].</summary>
    public Tensor Mm(Tensor other) => Wrap(NativeMethods.rt_mm(Handle, other.Handle), "mm");
    /// <summary>Batched matrix product: [b, n, k] @ [b, k, m] -> [b, n, m].</summary>
    public Tensor Bmm(Tensor other) => Wrap(NativeMethods.rt_bmm(Handle, other.Handle), "bmm");
    /// <summary>beta * this + alpha * (a @ b), with this broadcast to [n, m].</summary>
    public Tensor Addmm(Tensor a, Tensor b, double beta = 1, double alpha = 1) => Wrap(NativeMethods.rt_addmm(Handle, a.Handle, b.Handle, beta, alpha), "addmm");
    /// <summary>Writes a @ b into this tensor (no allocation when the shape fits).</summary>
    public Tensor MatmulInto(Tensor a, Tensor b)
    {
        _shape = null; // matmul_out resizes this tensor when its shape does not fit: drop the cached shape
        return InPlace(NativeMethods.rt_matmul_out(Handle, a.Handle, b.Handle), "matmul_out");
    }
}
