using static Runner.Pipeline.Metrics.MetricDirection;
using static Runner.Pipeline.Metrics.MetricKind;

namespace Runner.Pipeline.Metrics;

// pretrain, capture and train: what PretrainStage, CaptureStage / ModelCapture and TrainStage(.Stream) report.
public static partial class MetricCatalog
{
    private static IEnumerable<MetricDefinition> Pretrain() =>
    [
        D("pretrain.train_loss", Loss, LowerIsBetter,
            "mean over the last 100 optimizer steps (all of them if fewer) of the batch's mean next-token cross entropy",
            "nats (natural log); training batches are windows of context + 1 tokens at seeded random offsets of the training stream; every position counted"),
        D("pretrain.eval_loss", Loss, LowerIsBetter,
            "Σ CE(next token) / (windows · context) over up to 256 consecutive non-overlapping windows of context + 1 tokens from the start of the held-out stream",
            "nats; after training, no gradients; held-out planted corpus from seed + 1000; every position counted (<doc> included)"),
        D("pretrain.unigram_loss", Loss, TwoSided,
            "−mean log p(eval[t]) over t ≥ 1, p from unigram counts of the training stream + 0.1 (add-0.1 smoothing)",
            "nats; a reference the model must beat, scored on 131072 + 2·context held-out tokens (seed + 1000)"),
        D("pretrain.bigram_loss", Loss, TwoSided,
            "−mean log p(eval[t] | eval[t−1]) over t ≥ 1, p from bigram counts of the training stream + 0.1 per pair",
            "nats; as unigram_loss, on the same held-out tokens"),
        D("pretrain.tokens_per_second", Throughput, HigherIsBetter,
            "round(tokens / seconds)", "training tokens over the training steps' wall-clock time (eval pass excluded)"),
        D("pretrain.seconds", Throughput, LowerIsBetter,
            "wall-clock seconds of the training steps, rounded to 0.01", "the eval pass and the n-gram baselines excluded"),
        D("pretrain.steps", Size, TwoSided, "optimizer steps taken", "model.toy.steps"),
        D("pretrain.tokens", Size, TwoSided, "steps · batch_size · context", "tokens predicted in training"),
        D("pretrain.corpus_tokens", Size, TwoSided, "length of the generated training stream", "model.toy.tokens"),
        D("pretrain.parameters", Size, TwoSided, "Σ elements of every parameter tensor", "embeddings, unembedding and biases included"),
        D("pretrain.vocab_size", Size, TwoSided, "words of the planted vocabulary", "the toy model's vocabulary size"),
    ];

    private static IEnumerable<MetricDefinition> Capture() =>
    [
        D("capture.rows", Size, TwoSided,
            "training activation rows stored",
            "data.tokens for synthetic data; for a model, non-special token positions kept (BOS/EOS/added specials left out); 0 with data.store: stream (train produces the rows)"),
        D("capture.eval_rows", Size, TwoSided,
            "held-out rows: evaluate.tokens (synthetic), or eval sequences · context (model, special positions included)",
            "rows of capture's eval/ (or, streamed, of its eval token ids)"),
        D("capture.d_in", Size, TwoSided, "width of an activation row", "the hook site's width (d_model, or d_mlp at mlp_hidden); data.synthetic.d_in"),
        D("capture.true_features", Size, TwoSided, "ground-truth features of the synthetic generator", "data.synthetic.features"),
        D("capture.true_l0", Size, TwoSided,
            "Σ_i p_i, the generator's expected active features per row",
            "from the generator's per-feature firing probabilities (seeded): a property of the data, not measured on rows"),
        D("capture.model_layers", Size, TwoSided, "transformer layers of the model", "ModelConfig.Layers"),
        D("capture.tokens_per_second", Throughput, HigherIsBetter,
            "token positions run through the model / wall-clock seconds of the capture loop",
            "every position of the sequences the model ran on, special tokens included (with data.store: stream the eval sequences are only stored as ids and not counted)"),
    ];

    private static IEnumerable<MetricDefinition> Train() =>
    [
        D("train.steps", Size, TwoSided, "optimizer steps taken", "steps before a resume included"),
        D("train.tokens", Size, TwoSided, "training rows consumed (steps · batch_size)", "rows before a resume included"),
        D("train.d_sae", Size, TwoSided, "latents of the SAE", "sae.dict_size"),
        D("train.input_scale", Loss, TwoSided,
            "s = √d_in / mean_t ‖x_t‖ over the first min(100000, sae.tokens) training rows; 1 without normalization",
            "the factor raw activations are multiplied by before the SAE (x_sae = s · x); a data-dependent scale, not a loss"),
        D("train.dead_fraction", Fraction, LowerIsBetter,
            "#{latents not fired within the last W training tokens} / d_sae at the end of training, W = min(dead_window, sae.tokens)",
            "training rows (not the eval set; compare evaluate.dead_fraction); a latent counts as fired where its activation > 0"),
        D("train.loss", Loss, LowerIsBetter,
            "the last logged step's total loss = mse + Σ weighted architecture terms (relu: L1; topk/batchtopk: auxk; jumprelu: sparsity, pre_act)",
            "one training batch, in the SAE's normalized input space (x scaled by input_scale), weights at the sparsity warm-up of that step"),
        D("train.mse", Loss, LowerIsBetter,
            "Σ_rows Σ_d (x̂ − x)² / batch_size on the last logged step's batch",
            "summed over dims, mean over rows; SAE input space (scaled by input_scale), not raw space (compare evaluate.mse)"),
        D("train.l0", Sparsity, TwoSided,
            "mean over the last logged step's batch rows of #{latents active}",
            "active: f > 0 (jumprelu: the gate open); training batch, not the eval set"),
        D("train.resampled_dead", Count, TwoSided, "latents resampled because they did not fire in a resampling interval", "sae.resample with dead: true; summed over the resamplings"),
        D("train.resampled_duplicates", Count, TwoSided, "latents resampled as the weaker of a pair whose decoder cosine exceeded sae.resample.duplicates", "sae.resample with duplicates set; summed over the resamplings"),
        D("train.passes", Size, TwoSided, "model passes that produced the training rows", "data.store: stream only (always 1: one pass feeds every member)"),
        D("train.stream_members", Size, TwoSided, "SAEs trained together from the one stream", "data.store: stream only"),
        D("train.model_seconds", Throughput, LowerIsBetter, "seconds the producer spent in the model forward", "data.store: stream only"),
        D("train.sae_seconds", Throughput, LowerIsBetter, "seconds this member spent in its SAE steps", "data.store: stream only"),
        D("train.wait_seconds", Throughput, LowerIsBetter, "seconds the SAE steps waited for rows", "data.store: stream only"),
        D("train.stream_seconds", Throughput, LowerIsBetter, "wall-clock seconds of the whole stream", "data.store: stream only"),
        D("train.tokens_per_second", Throughput, HigherIsBetter, "streamed rows / stream seconds", "data.store: stream only; all members together"),
    ];
}
