namespace Runner.Torch;

// Selection, sorting, gathering and scattering.
public sealed partial class Tensor
{
    /// <summary>The <paramref name="k"/> largest (or smallest) values along <paramref name="dim"/> and their indices.</summary>
    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        NativeMethods.Check(NativeMethods.rt_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var v, out var i), "topk");
        return (Wrap(v, "topk"), Wrap(i, "topk"));
    }

    /// <summary>Sorted values along <paramref name="dim"/> and the permutation that sorts them.</summary>
    public (Tensor Values, Tensor Indices) Sort(long dim = -1, bool descending = false, bool stable = false)
    {
        NativeMethods.Check(NativeMethods.rt_sort(Handle, dim, descending ? 1 : 0, stable ? 1 : 0, out var v, out var i), "sort");
        return (Wrap(v, "sort"), Wrap(i, "sort"));
    }

    /// <summary>out[i][j] = this[i][index[i][j]] for dim 1 (and likewise for other dims).</summary>
    public Tensor Gather(long dim, Tensor index) => Wrap(NativeMethods.rt_gather(Handle, dim, index.Handle), "gather");
    /// <summary>A copy with source values written at <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public Tensor Scatter(long dim, Tensor index, Tensor source) => Wrap(NativeMethods.rt_scatter(Handle, dim, index.Handle, source.Handle, 0), "scatter");
    /// <summary>A copy with source values added at <paramref name="index"/> along <paramref name="dim"/>.</summary>
    public Tensor ScatterAdd(long dim, Tensor index, Tensor source) => Wrap(NativeMethods.rt_scatter(Handle, dim, index.Handle, source.Handle, 1), "scatter_add");
    /// <summary>Writes source values at <paramref name="index"/> in place.</summary>
    public Tensor Scatter_(long dim, Tensor index, Tensor source) => InPlace(NativeMethods.rt_scatter_(Handle, dim, index.Handle, source.Handle, 0), "scatter_");
    /// <summary>Adds source values at <paramref name="index"/> in place.</summary>
    public Tensor ScatterAdd_(long dim, Tensor index, Tensor source) => InPlace(NativeMethods.rt_scatter_(Handle, dim, index.Handle, source.Handle, 1), "scatter_add_");
    /// <summary>The slices at <paramref name="index"/> (int64) along <paramref name="dim"/>.</summary>
    public Tensor IndexSelect(long dim, Tensor index) => Wrap(NativeMethods.rt_index_select(Handle, dim, index.Handle), "index_select");
    /// <summary>this[index[i]] += alpha * source[i] along <paramref name="dim"/>, in place.</summary>
    public Tensor IndexAdd_(long dim, Tensor index, Tensor source, double alpha = 1) => InPlace(NativeMethods.rt_index_add_(Handle, dim, index.Handle, source.Handle, alpha), "index_add_");
}
