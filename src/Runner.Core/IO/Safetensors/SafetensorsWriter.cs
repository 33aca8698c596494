using System.Runtime.InteropServices;
using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// Writes safetensors files deterministically: the same tensors and metadata give the same bytes.
/// Header keys are sorted (<c>__metadata__</c> first, its keys sorted too), the header is padded
/// with spaces so the data starts at a multiple of 8, and data is laid out by element size (widest
/// first) then name, so every tensor is aligned to its element size. The file is written under a
/// temporary name in the same folder, flushed to disk and renamed into place: readers see the old
/// file or the complete new one.
/// </summary>
public static class SafetensorsWriter
{
    private const int ChunkBytes = 4 << 20;

    /// <summary>
    /// Writes <paramref name="tensors"/> (any device, layout or autograd state; dtypes of
    /// <see cref="SafetensorsDTypes"/>) and <paramref name="metadata"/> to <paramref name="path"/>,
    /// creating its folder and replacing an existing file.
    /// </summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var full = Path.GetFullPath(path);
        foreach (var name in tensors.Keys)
        {
            if (name.Length == 0 || name == SafetensorsHeader.MetadataKey)
                throw new ArgumentException($"'{name}' cannot name a tensor", nameof(tensors));
        }
        using var scope = TensorScope.Enter();
        var data = new List<(SafetensorsTensorInfo Info, Tensor Tensor)>();
        long offset = 0;
        foreach (var (name, tensor) in tensors.OrderByDescending(p => p.Value.DType.ElementSize()).ThenBy(p => p.Key, StringComparer.Ordinal))
        {
            _ = SafetensorsDTypes.Name(tensor.DType); // throws for a dtype the format cannot hold
            var cpu = tensor.Detach().To(Device.Cpu).Contiguous();
            var bytes = cpu.NumberOfElements * cpu.DType.ElementSize();
            data.Add((new SafetensorsTensorInfo { Name = name, DType = cpu.DType, Shape = cpu.Shape, Begin = offset, End = offset + bytes }, cpu));
            offset += bytes;
        }
        var header = SafetensorsHeader.Serialize(data.Select(d => d.Info).OrderBy(i => i.Name, StringComparer.Ordinal), metadata);

        var folder = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(folder);
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                stream.Write(header);
                var buffer = new byte[ChunkBytes];
                foreach (var (_, tensor) in data) WriteData(stream, tensor, buffer);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(temp); }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
            if (e is IOException or UnauthorizedAccessException) throw new RunnerException($"{full}: cannot write: {e.Message}", inner: e);
            throw;
        }
    }

    // Copies a contiguous CPU tensor's bytes in bounded chunks (row-major, little-endian as in memory).
    private static void WriteData(Stream stream, Tensor tensor, byte[] buffer)
    {
        var n = tensor.NumberOfElements;
        if (n == 0) return;
        var size = tensor.DType.ElementSize();
        using var flat = tensor.Reshape(-1);
        var perChunk = buffer.Length / size;
        for (long start = 0; start < n; start += perChunk)
        {
            var count = (int)Math.Min(perChunk, n - start);
            using var piece = flat.Narrow(0, start, count);
            var bytes = buffer.AsSpan(0, count * size);
            switch (size)
            {
                case 1: piece.CopyTo(bytes); break;
                case 2: piece.CopyTo(MemoryMarshal.Cast<byte, ushort>(bytes)); break;
                case 4: piece.CopyTo(MemoryMarshal.Cast<byte, uint>(bytes)); break;
                default: piece.CopyTo(MemoryMarshal.Cast<byte, ulong>(bytes)); break;
            }
            stream.Write(bytes);
        }
    }
}
