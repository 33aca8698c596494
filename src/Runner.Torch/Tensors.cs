namespace Runner.Torch;

/// <summary>Creating and joining tensors.</summary>
public static unsafe class Tensors
{
    private static Device D(Device? d) => d ?? Device.Cpu;

    /// <summary>Uninitialized values.</summary>
    public static Tensor Empty(long[] shape, DType dtype = DType.Float32, Device? device = null)
    {
        fixed (long* p = shape) return Tensor.Wrap(NativeMethods.rt_empty(p, shape.Length, (int)dtype, (int)D(device).Type, D(device).Index), "empty");
    }

    /// <summary>Zeros.</summary>
    public static Tensor Zeros(long[] shape, DType dtype = DType.Float32, Device? device = null)
    {
        fixed (long* p = shape) return Tensor.Wrap(NativeMethods.rt_zeros(p, shape.Length, (int)dtype, (int)D(device).Type, D(device).Index), "zeros");
    }

    /// <summary>Ones.</summary>
    public static Tensor Ones(long[] shape, DType dtype = DType.Float32, Device? device = null)
    {
        fixed (long* p = shape) return Tensor.Wrap(NativeMethods.rt_ones(p, shape.Length, (int)dtype, (int)D(device).Type, D(device).Index), "ones");
    }

    /// <summary><paramref name="value"/> everywhere.</summary>
    public static Tensor Full(long[] shape, Scalar value, DType dtype = DType.Float32, Device? device = null)
    {
        fixed (long* p = shape)
            return Tensor.Wrap(NativeMethods.rt_full(p, shape.Length, value.Double, value.Long, value.Kind, (int)dtype, (int)D(device).Type, D(device).Index), "full");
    }

    /// <summary>A scalar (0-d) tensor.</summary>
    public static Tensor Scalar(Scalar value, DType dtype = DType.Float32, Device? device = null) => Full([], value, dtype, device);

    /// <summary>start, start + step, ... below end; int64 when all three are integral, else float32 (as PyTorch infers).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType? dtype = null, Device? device = null)
    {
        var integral = start == Math.Floor(start) && end == Math.Floor(end) && step == Math.Floor(step);
        var t = dtype ?? (integral ? DType.Int64 : DType.Float32);
        return Tensor.Wrap(NativeMethods.rt_arange(start, end, step, (int)t, (int)D(device).Type, D(device).Index), "arange");
    }

    /// <summary>0, 1, ... n - 1 (int64).</summary>
    public static Tensor Arange(long n, Device? device = null) => Arange(0, n, 1, DType.Int64, device);

    /// <summary>Standard normal samples, from <paramref name="generator"/> when given (else the global stream).</summary>
    public static Tensor Randn(long[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        fixed (long* p = shape)
            return Tensor.Wrap(NativeMethods.rt_rand(1, p, shape.Length, (int)dtype, (int)D(device).Type, D(device).Index, generator?.Handle ?? IntPtr.Zero), "randn");
    }

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(long[] shape, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        fixed (long* p = shape)
            return Tensor.Wrap(NativeMethods.rt_rand(0, p, shape.Length, (int)dtype, (int)D(device).Type, D(device).Index, generator?.Handle ?? IntPtr.Zero), "rand");
    }

    /// <summary>Uniform integers in [low, high).</summary>
    public static Tensor RandInt(long low, long high, long[] shape, Generator? generator = null, DType dtype = DType.Int64, Device? device = null)
    {
        fixed (long* p = shape)
            return Tensor.Wrap(NativeMethods.rt_randint(low, high, p, shape.Length, (int)dtype, (int)D(device).Type, D(device).Index, generator?.Handle ?? IntPtr.Zero), "randint");
    }

    /// <summary>A random permutation of 0..n-1 (int64).</summary>
    public static Tensor RandPerm(long n, Generator? generator = null, Device? device = null) =>
        Tensor.Wrap(NativeMethods.rt_randperm(n, (int)D(device).Type, D(device).Index, generator?.Handle ?? IntPtr.Zero), "randperm");

    /// <summary>A CPU tensor holding a copy of <paramref name="data"/> with <paramref name="shape"/> (default: 1-d).</summary>
    public static Tensor From<T>(ReadOnlySpan<T> data, long[]? shape = null) where T : unmanaged => From(data, DTypeOf<T>(), shape);

    /// <summary>A CPU tensor holding a copy of <paramref name="data"/>, read as <paramref name="dtype"/> (e.g. ushort bits as bfloat16).</summary>
    public static Tensor From<T>(ReadOnlySpan<T> data, DType dtype, long[]? shape = null) where T : unmanaged
    {
        Tensor.CheckElementType<T>(dtype);
        shape ??= [data.Length];
        fixed (T* d = data)
        fixed (long* s = shape)
            return Tensor.Wrap(NativeMethods.rt_from_data(d, (long)data.Length * sizeof(T), s, shape.Length, (int)dtype), "from");
    }

    /// <summary>A CPU tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor From<T>(T[] data, params long[] shape) where T : unmanaged => From<T>(data.AsSpan(), shape.Length == 0 ? null : shape);

    /// <summary>A 2-d CPU tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor From<T>(T[,] data) where T : unmanaged
    {
        fixed (T* p = data)
            return From(new ReadOnlySpan<T>(p, data.Length), [data.GetLength(0), data.GetLength(1)]);
    }

    /// <summary>
    /// A CPU tensor over memory the caller owns (e.g. a memory-mapped file), without a copy.
    /// <paramref name="owner"/> is disposed once the last tensor sharing the memory is gone, so the
    /// memory stays valid for views and slices too. Writes through the tensor reach the memory.
    /// </summary>
    public static Tensor FromBuffer(IntPtr data, long[] shape, DType dtype, IDisposable? owner = null)
    {
        var ctx = owner is null ? IntPtr.Zero : System.Runtime.InteropServices.GCHandle.ToIntPtr(System.Runtime.InteropServices.GCHandle.Alloc(owner));
        fixed (long* s = shape)
        {
            var p = NativeMethods.rt_from_blob((void*)data, s, shape.Length, (int)dtype, owner is null ? null : &BufferRelease.Release, ctx);
            if (p == IntPtr.Zero && ctx != IntPtr.Zero) System.Runtime.InteropServices.GCHandle.FromIntPtr(ctx).Free();
            return Tensor.Wrap(p, "from_buffer");
        }
    }

    /// <summary>The dtype that holds <typeparamref name="T"/> (float, double, Half, long, int, bool, byte).</summary>
    public static DType DTypeOf<T>() where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => DType.Float32,
        var t when t == typeof(double) => DType.Float64,
        var t when t == typeof(Half) => DType.Float16,
        var t when t == typeof(long) => DType.Int64,
        var t when t == typeof(int) => DType.Int32,
        var t when t == typeof(bool) => DType.Bool,
        var t when t == typeof(byte) => DType.UInt8,
        var t => throw new ArgumentException($"no dtype for {t.Name}; pass the dtype explicitly (e.g. ushort bits as BFloat16)"),
    };

    /// <summary>Joins tensors along an existing dimension.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> tensors, long dim = 0) => JoinOp(tensors, dim, cat: true);

    /// <summary>Joins tensors along a new dimension.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> tensors, long dim = 0) => JoinOp(tensors, dim, cat: false);

    private static Tensor JoinOp(IReadOnlyList<Tensor> tensors, long dim, bool cat)
    {
        var handles = Handles(tensors);
        fixed (IntPtr* p = handles)
        {
            var r = cat ? NativeMethods.rt_cat(p, handles.Length, dim) : NativeMethods.rt_stack(p, handles.Length, dim);
            GC.KeepAlive(tensors);
            return Tensor.Wrap(r, cat ? "cat" : "stack");
        }
    }

    /// <summary>Raw handles of <paramref name="tensors"/>, for array arguments; keep the list alive across the call.</summary>
    internal static IntPtr[] Handles(IReadOnlyList<Tensor> tensors)
    {
        var handles = new IntPtr[tensors.Count];
        for (var i = 0; i < handles.Length; i++) handles[i] = tensors[i].Handle.DangerousGetHandle();
        return handles;
    }

    /// <summary>a where <paramref name="condition"/> is true, else b.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => Tensor.Wrap(NativeMethods.rt_where(condition.Handle, a.Handle, b.Handle), "where");

    /// <summary>Matrix product with broadcasting of batch dimensions.</summary>
    public static Tensor Matmul(Tensor a, Tensor b) => a.Matmul(b);
}

internal static unsafe class BufferRelease
{
    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    internal static void Release(IntPtr ctx)
    {
        var handle = System.Runtime.InteropServices.GCHandle.FromIntPtr(ctx);
        try { (handle.Target as IDisposable)?.Dispose(); }
        catch { /* never let an exception unwind into libtorch */ }
        finally { handle.Free(); }
    }
}
