using System.Runtime.InteropServices;
using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// A safetensors file, memory-mapped. <see cref="Open"/> validates the whole header against the
/// file's size first (<see cref="SafetensorsHeader"/>): a truncated or lying file is a
/// <see cref="RunnerException"/> naming the file and the problem, never a crash. Tensors are served
/// without a copy (<see cref="Map"/>) or copied (<see cref="Read"/>). The mapping is released when
/// this object and every tensor made from it are disposed. Thread-safe.
/// </summary>
public sealed class SafetensorsFile : ITensorSource
{
    private readonly MappedRegion _region;
    private readonly Dictionary<string, SafetensorsTensorInfo> _byName;
    private int _disposed;

    private SafetensorsFile(string path, long dataStart, IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, MappedRegion region)
    {
        Path = path;
        DataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        _region = region;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Names = [.. tensors.Select(t => t.Name).Order(StringComparer.Ordinal)];
    }

    /// <inheritdoc/>
    public string Path { get; }

    /// <summary>Offset of the data section in the file: 8 + the header length.</summary>
    public long DataStart { get; }

    /// <summary>Every tensor, in header order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <inheritdoc/>
    public IReadOnlyList<string> Names { get; }

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens, validates and maps <paramref name="path"/>.</summary>
    public static SafetensorsFile Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        FileStream stream;
        try
        {
            stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new RunnerException($"{full}: no such safetensors file", inner: e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"{full}: cannot open: {e.Message}", inner: e);
        }
        try
        {
            var length = stream.Length;
            var prefix = new byte[8];
            if (length >= 8) ReadExactly(stream, prefix, 0);
            var n = SafetensorsHeader.ReadLength(prefix, length, full);
            var json = new byte[n];
            ReadExactly(stream, json, 8);
            var (tensors, metadata) = SafetensorsHeader.Parse(json, length - 8 - n, full);
            return new SafetensorsFile(full, 8 + n, tensors, metadata, MappedRegion.Map(stream));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <inheritdoc/>
    public SafetensorsTensorInfo Info(string name) =>
        _byName.TryGetValue(name, out var info) ? info
            : throw new RunnerException($"{Path}: no tensor '{name}' (it has {Describe(Names)})");

    /// <inheritdoc/>
    public Tensor Map(string name)
    {
        var info = Info(name);
        if (info.NumberOfElements == 0) return Runner.Torch.Tensors.Empty(info.ShapeArray, info.DType);
        var address = _region.Address + (nint)(DataStart + info.Begin);
        // The format does not promise aligned data; libtorch kernels may assume it, so copy instead.
        if (address % info.DType.ElementSize() != 0) return CopyOut(info);
        var lease = Acquire();
        try
        {
            return Runner.Torch.Tensors.FromBuffer(address, info.ShapeArray, info.DType, lease);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public Tensor Read(string name, DType? dtype = null)
    {
        var info = Info(name);
        using var mapped = Map(name);
        return mapped.To(Device.Cpu, dtype ?? info.DType, copy: true);
    }

    /// <summary>Copies the tensor's raw little-endian bytes into <paramref name="destination"/> (exactly its size).</summary>
    public void CopyBytes(string name, Span<byte> destination)
    {
        var info = Info(name);
        if (destination.Length != info.ByteLength)
            throw new ArgumentException($"destination holds {destination.Length} bytes, tensor '{name}' {info.ByteLength}", nameof(destination));
        using var lease = Acquire();
        _region.Read(DataStart + info.Begin, destination);
    }

    /// <summary>Releases this object's hold on the mapping; tensors made from it stay valid until disposed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _region.Release();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Path} ({Tensors.Count} tensors)";

    private MappedRegion.Lease Acquire()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _region.Acquire();
    }

    private Tensor CopyOut(SafetensorsTensorInfo info)
    {
        var bytes = new byte[info.ByteLength];
        CopyBytes(info.Name, bytes);
        return info.DType.ElementSize() switch
        {
            1 => Runner.Torch.Tensors.From<byte>(bytes.AsSpan(), info.DType, info.ShapeArray),
            2 => Runner.Torch.Tensors.From<ushort>(MemoryMarshal.Cast<byte, ushort>(bytes), info.DType, info.ShapeArray),
            4 => Runner.Torch.Tensors.From<uint>(MemoryMarshal.Cast<byte, uint>(bytes), info.DType, info.ShapeArray),
            _ => Runner.Torch.Tensors.From<ulong>(MemoryMarshal.Cast<byte, ulong>(bytes), info.DType, info.ShapeArray),
        };
    }

    internal static string Describe(IReadOnlyList<string> names) =>
        names.Count == 0 ? "no tensors" : names.Count <= 12 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(12))} and {names.Count - 12} more";

    private static void ReadExactly(FileStream stream, byte[] buffer, long offset)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = RandomAccess.Read(stream.SafeFileHandle, buffer.AsSpan(done), offset + done);
            if (n == 0) throw new EndOfStreamException($"{stream.Name}: unexpected end of file");
            done += n;
        }
    }
}
