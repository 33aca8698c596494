using Runner.Torch;

namespace Runner.Core.Data;

/// <summary>
/// A batch of activation rows for an SAE. The consumer owns it and disposes it after use (the
/// trainer does so after each step).
/// </summary>
public sealed class ActivationBatch(Tensor activations, Tensor? tokenIds = null, Tensor? labels = null) : IDisposable
{
    /// <summary>x: [batch, d_in], float32 (or bfloat16 as stored; consumers convert).</summary>
    public Tensor Activations { get; } = activations;

    /// <summary>The token id each row was captured at: [batch] int64, when the source has tokens.</summary>
    public Tensor? TokenIds { get; } = tokenIds;

    /// <summary>Ground truth per row when the source has it (e.g. the planted topic): [batch] int64.</summary>
    public Tensor? Labels { get; } = labels;

    /// <summary>Rows in the batch.</summary>
    public long Count => Activations.Size(0);

    /// <inheritdoc/>
    public void Dispose()
    {
        Activations.Dispose();
        TokenIds?.Dispose();
        Labels?.Dispose();
    }
}
