namespace Runner.Core.Data;

/// <summary>
/// A training stream of activation rows that can be opened at any row, so that a resumed run reads
/// exactly the rows an uninterrupted one would have read.
/// <para>
/// The contract: the stream is a fixed sequence of rows r = 0, 1, 2, … determined by the source's
/// configuration alone (data, seed); several epochs, each shuffled by the seed, simply continue the
/// sequence. <see cref="Read"/>(<c>startRow</c>, <c>batchSize</c>) yields batches of
/// <c>batchSize</c> consecutive rows starting at row <c>startRow</c>, in order: the same rows, in the
/// same batches, that <c>Read(0, batchSize)</c> yields after its first <c>startRow / batchSize</c>
/// batches (the trainer only opens at multiples of its batch size). The stream may be endless; when
/// it ends, the consumer decides whether that is an error (the trainer says so). The consumer owns
/// and disposes each batch, and disposes the enumerator when it stops early (which must stop any
/// background prefetch).
/// </para>
/// </summary>
public interface IActivationSource
{
    /// <summary>Batches of <paramref name="batchSize"/> consecutive rows from row <paramref name="startRow"/> on.</summary>
    IEnumerable<ActivationBatch> Read(long startRow, int batchSize);
}
