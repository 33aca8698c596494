using Runner.Torch;

namespace Runner.Core.Sae;

/// <summary>
/// A sparse autoencoder. Inputs are in the SAE's own (normalized) space; see <see cref="InputScale"/>.
/// Shapes: x [batch, d_in], f [batch, d_sae]. Implementations own their parameters and free them
/// on Dispose; every tensor a method returns belongs to the caller's scope.
/// </summary>
public interface ISparseAutoencoder : IDisposable
{
    /// <summary>Shape, architecture and loss settings.</summary>
    SaeOptions Options { get; }

    /// <summary>
    /// The scalar s applied to raw activations before encoding (x_sae = s · x_raw; 1 when not
    /// normalizing). Folded into the weights on export.
    /// </summary>
    double InputScale { get; set; }

    /// <summary>
    /// The trainable parameters by name (leaves with RequiresGrad, float32), in a fixed order: W_enc
    /// [d_sae, d_in] (one row per latent: the transpose of SAELens's W_enc), b_enc [d_sae], W_dec
    /// [d_sae, d_in], b_dec [d_in], and threshold [d_sae] for jumprelu. For the SAELens layout use
    /// <see cref="ExportSaeLens"/>.
    /// </summary>
    IReadOnlyList<KeyValuePair<string, Tensor>> Parameters { get; }

    /// <summary>Non-trainable state that a checkpoint must keep (e.g. BatchTopK's threshold), by name.</summary>
    IReadOnlyList<KeyValuePair<string, Tensor>> Buffers { get; }

    /// <summary>Inference encoding: x [B, d_in] (normalized space) -> f [B, d_sae], dense, ≥ 0.</summary>
    Tensor Encode(Tensor x);

    /// <summary>Inference decoding: f [B, d_sae] -> x̂ [B, d_in] (normalized space).</summary>
    Tensor Decode(Tensor f);

    /// <summary>
    /// Data-dependent initialization, once before the first step, on a sample of inputs [n, d_in]
    /// (normalized space): topk and batchtopk set b_dec to the sample's geometric median (Gao et al.);
    /// relu and jumprelu keep b_dec = 0 (their recipes) and do nothing.
    /// </summary>
    void InitializeDecoderBias(Tensor sample);

    /// <summary>
    /// One training forward pass on x [B, d_in] (normalized space). Backward of the returned loss
    /// gives every parameter its full gradient (some architectures compute parts of it in this call and
    /// attach them to the loss; the loss value is unchanged). With autograd off it only evaluates.
    /// </summary>
    SaeForward TrainingForward(Tensor x, SaeStepContext step);

    /// <summary>
    /// After backward, before gradient clipping and the optimizer step (e.g. remove the
    /// decoder-parallel gradient).
    /// </summary>
    void BeforeOptimizerStep();

    /// <summary>After the optimizer step (e.g. renormalize decoder rows).</summary>
    void AfterOptimizerStep();

    /// <summary>
    /// The SAELens v6 tensors in raw-activation space (normalization and any decoder-norm rescaling
    /// folded in): W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in], and
    /// threshold [d_sae] for jumprelu/batchtopk. New CPU float32 tensors owned by the caller's scope.
    /// </summary>
    IReadOnlyDictionary<string, Tensor> ExportSaeLens();

    /// <summary>The SAELens cfg.json architecture: standard, topk or jumprelu (batchtopk exports as jumprelu).</summary>
    string SaeLensArchitecture { get; }
}
