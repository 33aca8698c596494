using System.IO.MemoryMappedFiles;

namespace Runner.Core.IO;

/// <summary>
/// A whole file mapped into memory, shared by the object that opened it and every tensor made over
/// it. Reference-counted: the opener holds one reference, each tensor storage another (through a
/// <see cref="Lease"/>, the owner passed to <c>Tensors.FromBuffer</c>), and the mapping is unmapped
/// when the last one is released — so a tensor or view outliving the file object stays valid.
/// The mapping is copy-on-write: a write through a tensor changes private pages, never the file,
/// and never faults.
/// </summary>
internal sealed class MappedRegion
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private int _references = 1;

    private MappedRegion(MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        _file = file;
        _view = view;
        Address = view.SafeMemoryMappedViewHandle.DangerousGetHandle() + (nint)view.PointerOffset;
    }

    /// <summary>Address of the file's first byte.</summary>
    public IntPtr Address { get; }

    /// <summary>Maps the (non-empty) file open in <paramref name="stream"/>; takes ownership of the stream.</summary>
    public static MappedRegion Map(FileStream stream)
    {
        var file = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
        try
        {
            return new MappedRegion(file, file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.CopyOnWrite));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Takes a reference for a tensor; dispose the lease to release it.</summary>
    public Lease Acquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0) throw new ObjectDisposedException(nameof(MappedRegion), "the mapped file was closed");
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current) return new Lease(this);
        }
    }

    /// <summary>Drops one reference; the last one unmaps the file.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>Copies bytes at <paramref name="offset"/> of the file into <paramref name="destination"/>.</summary>
    public void Read(long offset, Span<byte> destination) => _view.SafeMemoryMappedViewHandle.ReadSpan((ulong)offset, destination);

    /// <summary>One reference to the region, released once on Dispose (from whichever thread frees the storage).</summary>
    internal sealed class Lease(MappedRegion region) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) region.Release();
        }
    }
}
