using Runner.Torch;

namespace Runner.Core.IO;

/// <summary>
/// An SAE read from a SAELens folder by <see cref="SaeLensFolder.Load"/>: its config and tensors.
/// The tensors are owned by this object (in no <see cref="TensorScope"/>) and freed on Dispose.
/// </summary>
public sealed class SaeLensSae : IDisposable
{
    internal SaeLensSae(string folder, SaeLensConfig config, IReadOnlyDictionary<string, Tensor> weights, Tensor? featureDensityLog10)
    {
        Folder = folder;
        Config = config;
        Weights = weights;
        FeatureDensityLog10 = featureDensityLog10;
    }

    /// <summary>The folder read (absolute).</summary>
    public string Folder { get; }

    /// <summary>cfg.json (converted to v6 when it was legacy).</summary>
    public SaeLensConfig Config { get; }

    /// <summary>The tensors by SAELens name (W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in], threshold [d_sae], …), CPU.</summary>
    public IReadOnlyDictionary<string, Tensor> Weights { get; }

    /// <summary><c>sparsity.safetensors</c>' "sparsity" [d_sae]: log10(feature density + 1e-10); null when the file is absent.</summary>
    public Tensor? FeatureDensityLog10 { get; }

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Weights.Values) t.Dispose();
        FeatureDensityLog10?.Dispose();
    }
}
