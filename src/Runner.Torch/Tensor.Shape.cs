namespace Runner.Torch;

// Shape operations. Views share storage with their source; the others copy.
public sealed partial class Tensor
{
    private unsafe Tensor WithDims(delegate*<TensorHandle, long*, int, IntPtr> f, long[] dims, string name)
    {
        fixed (long* p = dims) return Wrap(f(Handle, p, dims.Length), name);
    }

    /// <summary>A view with another shape (one size may be -1); needs compatible strides.</summary>
    public unsafe Tensor View(params long[] shape) => WithDims(&NativeMethods.rt_view, shape, "view");
    /// <summary>Another shape; a view when possible, else a copy.</summary>
    public unsafe Tensor Reshape(params long[] shape) => WithDims(&NativeMethods.rt_reshape, shape, "reshape");
    /// <summary>Broadcasts size-1 dimensions to <paramref name="shape"/> (-1 keeps a size), without copying.</summary>
    public unsafe Tensor Expand(params long[] shape) => WithDims(&NativeMethods.rt_expand, shape, "expand");
    /// <summary>Reorders the dimensions.</summary>
    public unsafe Tensor Permute(params long[] dims) => WithDims(&NativeMethods.rt_permute, dims, "permute");
    /// <summary>Tiles the tensor <paramref name="repeats"/> times along each dimension.</summary>
    public unsafe Tensor Repeat(params long[] repeats) => WithDims(&NativeMethods.rt_repeat, repeats, "repeat");
    /// <summary>Swaps two dimensions (a view).</summary>
    public Tensor Transpose(long dim0, long dim1) => Wrap(NativeMethods.rt_transpose(Handle, dim0, dim1), "transpose");
    /// <summary>Transpose of a 2-d tensor.</summary>
    public Tensor T => Transpose(0, 1);
    /// <summary>A contiguous tensor with the same values (this one's storage when already contiguous).</summary>
    public Tensor Contiguous() => Wrap(NativeMethods.rt_contiguous(Handle), "contiguous");
    /// <summary>Elements [start, start + length) along <paramref name="dim"/> (a view).</summary>
    public Tensor Narrow(long dim, long start, long length) => Wrap(NativeMethods.rt_narrow(Handle, dim, start, length), "narrow");
    /// <summary>Elements [start, end) by <paramref name="step"/> along <paramref name="dim"/> (a view; negative indices count from the end).</summary>
    public Tensor Slice(long dim, long start, long end, long step = 1) => Wrap(NativeMethods.rt_slice(Handle, dim, start, end, step), "slice");
    /// <summary>The sub-tensor at <paramref name="index"/> along <paramref name="dim"/>, which is removed (a view).</summary>
    public Tensor Select(long dim, long index) => Wrap(NativeMethods.rt_select(Handle, dim, index), "select");
    /// <summary>Removes every size-1 dimension.</summary>
    public Tensor Squeeze() => Wrap(NativeMethods.rt_squeeze(Handle, 0, 1), "squeeze");
    /// <summary>Removes dimension <paramref name="dim"/> if its size is 1.</summary>
    public Tensor Squeeze(long dim) => Wrap(NativeMethods.rt_squeeze(Handle, dim, 0), "squeeze");
    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public Tensor Unsqueeze(long dim) => Wrap(NativeMethods.rt_unsqueeze(Handle, dim), "unsqueeze");
    /// <summary>Merges dimensions start..end into one.</summary>
    public Tensor Flatten(long startDim = 0, long endDim = -1) => Wrap(NativeMethods.rt_flatten(Handle, startDim, endDim), "flatten");
    /// <summary>Lower triangle (the rest zero); <paramref name="diagonal"/> shifts the boundary.</summary>
    public Tensor Tril(long diagonal = 0) => Wrap(NativeMethods.rt_tril(Handle, diagonal, 0), "tril");
    /// <summary>Upper triangle (the rest zero).</summary>
    public Tensor Triu(long diagonal = 0) => Wrap(NativeMethods.rt_tril(Handle, diagonal, 1), "triu");

    /// <summary>Splits into pieces of <paramref name="size"/> along <paramref name="dim"/> (views; the last may be shorter).</summary>
    public Tensor[] Split(long size, long dim = 0)
    {
        if (size <= 0) throw new ArgumentOutOfRangeException(nameof(size), "split size must be positive");
        var n = Size((int)dim);
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += size) parts.Add(Narrow(dim, start, Math.Min(size, n - start)));
        return [.. parts];
    }

    /// <summary>Splits into <paramref name="chunks"/> nearly equal pieces along <paramref name="dim"/>.</summary>
    public Tensor[] Chunk(int chunks, long dim = 0) => Split((Size((int)dim) + chunks - 1) / chunks, dim);
}
