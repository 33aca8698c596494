using System.Runtime.InteropServices;

namespace Runner.Torch;

/// <summary>
/// An n-dimensional array in libtorch. Every tensor a function returns is new and owned by the
/// innermost <see cref="TensorScope"/> of the thread (or by the caller when there is none);
/// functions never dispose their inputs. Dispose what you own, or let the scope do it.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private readonly TensorHandle _handle;
    private long[]? _shape;

    private Tensor(IntPtr handle)
    {
        _handle = new TensorHandle(handle);
        TensorScope.Adopt(this);
    }

    /// <summary>Wraps a handle a native call returned; throws libtorch's error when it is null.</summary>
    internal static Tensor Wrap(IntPtr handle, string op) => new(NativeMethods.Check(handle, op));

    /// <summary>The handle for native calls; throws once disposed.</summary>
    internal TensorHandle Handle => _handle.IsClosed ? throw new ObjectDisposedException(nameof(Tensor), "the tensor was disposed (by you or by its TensorScope)") : _handle;

    /// <summary>The scope that will dispose this tensor, if any.</summary>
    internal TensorScope? Owner { get; set; }

    /// <summary>
    /// Takes this tensor out of its scope: the caller now owns it and disposes it (long-lived
    /// state such as parameters and optimizer moments). Returns it, for chaining.
    /// </summary>
    public Tensor DetachFromScope()
    {
        Owner?.Forget(this);
        Owner = null;
        return this;
    }

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>Number of native tensor handles alive in this process (all threads).</summary>
    public static long LiveCount => NativeMethods.rt_live_tensors();

    /// <summary>Frees the native handle (the storage goes when its last user does).</summary>
    public void Dispose()
    {
        Owner?.Forget(this);
        Owner = null;
        _handle.Dispose();
    }

    /// <summary>Number of dimensions.</summary>
    public int Dim => Shape.Length;

    /// <summary>The sizes of the dimensions.</summary>
    public unsafe long[] Shape
    {
        get
        {
            if (_shape is null)
            {
                var n = NativeMethods.Check(NativeMethods.rt_dim(Handle), "dim");
                var s = new long[n];
                fixed (long* p = s) NativeMethods.Check(NativeMethods.rt_sizes(Handle, p), "sizes");
                _shape = s;
            }
            return (long[])_shape.Clone();
        }
    }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long Size(int dim)
    {
        var s = Shape;
        var d = dim < 0 ? dim + s.Length : dim;
        if (d < 0 || d >= s.Length) throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} out of range for a {s.Length}-d tensor");
        return s[d];
    }

    /// <summary>The strides, in elements.</summary>
    public unsafe long[] Strides
    {
        get
        {
            var s = new long[Dim];
            fixed (long* p = s) NativeMethods.Check(NativeMethods.rt_strides(Handle, p), "strides");
            return s;
        }
    }

    /// <summary>Number of elements.</summary>
    public long NumberOfElements
    {
        get
        {
            long n = 1;
            foreach (var s in Shape) n *= s;
            return n;
        }
    }

    /// <summary>Element type.</summary>
    public DType DType => (DType)NativeMethods.Check(NativeMethods.rt_dtype(Handle), "dtype");

    /// <summary>Where the tensor lives.</summary>
    public Device Device
    {
        get
        {
            NativeMethods.Check(NativeMethods.rt_device(Handle, out var type, out var index), "device");
            return new Device((DeviceType)type, index);
        }
    }

    /// <summary>True when the elements are laid out row-major without gaps.</summary>
    public bool IsContiguous => NativeMethods.Check(NativeMethods.rt_is_contiguous(Handle), "is_contiguous") == 1;

    /// <summary>Address of the first element (CPU tensors); valid while the tensor lives.</summary>
    public IntPtr DataPointer => NativeMethods.Check(NativeMethods.rt_data_ptr(Handle), "data_ptr");

    /// <summary>libtorch's printout of the values.</summary>
    public override string ToString() => IsDisposed ? "Tensor(disposed)" : NativeMethods.Text(NativeMethods.Check(NativeMethods.rt_to_string(Handle), "to_string"));

    /// <summary>Returns a new handle to the same tensor (same storage, same autograd identity).</summary>
    public Tensor Alias() => Wrap(NativeMethods.rt_alias(Handle), "alias");

    /// <summary>Scalar value of a one-element tensor, as double.</summary>
    public double ToDouble()
    {
        NativeMethods.Check(NativeMethods.rt_item(Handle, out var d, out _), "item");
        return d;
    }

    /// <summary>Scalar value of a one-element tensor, as float.</summary>
    public float ToSingle() => (float)ToDouble();

    /// <summary>Scalar value of a one-element integral tensor.</summary>
    public long ToInt64()
    {
        NativeMethods.Check(NativeMethods.rt_item(Handle, out _, out var i), "item");
        return i;
    }

    /// <summary>Scalar value of a one-element tensor, as bool.</summary>
    public bool ToBoolean() => ToInt64() != 0;

    /// <summary>
    /// Copies the elements (row-major) into a new array. <typeparamref name="T"/> must match
    /// the dtype's size: float for float32, Half for float16, short/ushort for bfloat16's raw bits,
    /// long, int, bool, byte, double.
    /// </summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var result = new T[NumberOfElements];
        CopyTo(result.AsSpan());
        return result;
    }

    /// <summary>Copies the elements (row-major) into <paramref name="destination"/>, whose length must equal the element count.</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        CheckElementType<T>(DType);
        if (destination.Length != NumberOfElements)
            throw new ArgumentException($"destination holds {destination.Length} elements, the tensor {NumberOfElements}", nameof(destination));
        fixed (T* p = destination)
            NativeMethods.Check(NativeMethods.rt_copy_to_buffer(Handle, p, (long)destination.Length * sizeof(T)), "copy_to");
    }

    internal static unsafe void CheckElementType<T>(DType dtype) where T : unmanaged
    {
        if (sizeof(T) != dtype.ElementSize())
            throw new ArgumentException($"element type {typeof(T).Name} ({sizeof(T)} bytes) does not match dtype {dtype.Name()} ({dtype.ElementSize()} bytes)");
    }
}
