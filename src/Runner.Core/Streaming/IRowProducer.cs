using Runner.Torch;

namespace Runner.Core.Streaming;

/// <summary>
/// Fresh activation rows in a fixed order (a language model over packed text, or a generator): row r of
/// the stream is always the same row, so a stream can be reopened at any row (resume) without storing it.
/// </summary>
public interface IRowProducer
{
    /// <summary>Width of a row (several hook points side by side: the sum of their widths).</summary>
    int Width { get; }

    /// <summary>
    /// Rows from <paramref name="startRow"/> on, in chunks [n, Width] float32 on the CPU, each owned by the
    /// consumer (in no <see cref="TensorScope"/>: dispose it). Ends when the data does (a generator never
    /// does). Reaching <paramref name="startRow"/> must not compute the rows before it where that can be
    /// avoided (a model skips whole sequences by counting their tokens).
    /// </summary>
    IEnumerable<Tensor> Rows(long startRow, CancellationToken cancellationToken);

    /// <summary>Seconds spent computing rows so far (all threads; the model's forward passes).</summary>
    double ComputeSeconds { get; }
}
