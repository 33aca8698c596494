using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// Named tensors on disk: one safetensors file (<see cref="SafetensorsFile"/>) or a sharded
/// checkpoint (<see cref="ShardedSafetensors"/>). Tensors returned follow the binding's rule: new,
/// owned by the calling thread's innermost <see cref="TensorScope"/> (or by the caller).
/// </summary>
public interface ITensorSource : IDisposable
{
    /// <summary>The file (or index file) this source was opened from, as an absolute path.</summary>
    string Path { get; }

    /// <summary>Every tensor name, sorted ordinally.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The <c>__metadata__</c> string map (of the first shard for a sharded checkpoint).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>True when a tensor of that name exists.</summary>
    bool Contains(string name);

    /// <summary>The tensor's dtype, shape and location; a <see cref="RunnerException"/> naming the file when absent.</summary>
    SafetensorsTensorInfo Info(string name);

    /// <summary>
    /// The tensor over the mapped file, without a copy (the mapping lives as long as this tensor,
    /// its views, or the source do). Writes through it change private pages, never the file.
    /// </summary>
    Tensor Map(string name);

    /// <summary>A copy with its own storage, converted to <paramref name="dtype"/> when given.</summary>
    Tensor Read(string name, DType? dtype = null);
}
