using static Runner.Pipeline.Metrics.MetricDirection;
using static Runner.Pipeline.Metrics.MetricKind;

namespace Runner.Pipeline.Metrics;

// evaluate: SaeEvaluator / SaeMetrics (reconstruction and sparsity), ModelEvaluation (CE and KL with the SAE spliced in),
// FeatureRecovery (synthetic ground truth) and TopicMatching (planted topics).
public static partial class MetricCatalog
{
    // What every SaeMetrics figure shares.
    private const string RawSpace =
        "raw activation space: x̂ = Decode(Encode(s·x)) / s; over capture's held-out eval rows (up to evaluate.tokens for synthetic data, every non-special row for a model)";

    private const string CeConvention =
        "nats; next-token predictions at positions 0…T−2 of the eval sequences whose input token is not special (BOS/EOS/added specials), mean over those positions; "
        + "the SAE replaces the hook's activation at non-special positions only, with no error term";

    private static IEnumerable<MetricDefinition> Evaluate() =>
    [
        D("evaluate.tokens", Size, TwoSided, "eval rows the reconstruction metrics averaged over", "special-token rows of a model left out"),
        D("evaluate.mse", Loss, LowerIsBetter, "E_t Σ_d (x − x̂)²", "summed over dims, mean over tokens; " + RawSpace),
        D("evaluate.normalized_mse", Score, LowerIsBetter, "E_t ‖x − x̂‖² / E_t ‖x‖²", "ratio of means (predicting 0 scores 1); " + RawSpace),
        D("evaluate.explained_variance", Score, HigherIsBetter,
            "1 − E_t ‖x − x̂‖² / (E_t ‖x‖² − ‖E_t x‖²)",
            "numerator and denominator averaged separately over the whole eval set, dataset-mean baseline (SAELens PR #443/#665, the corrected formula); " + RawSpace),
        D("evaluate.explained_variance_legacy", Score, HigherIsBetter,
            "mean over tokens of 1 − ‖x − x̂‖² / ‖x − mean_batch x‖²",
            "per-token ratios with the evaluation batch's mean as baseline (batches of up to 4096 rows): depends on the batch; the SAEBench paper's numbers; " + RawSpace),
        D("evaluate.fvu", Score, LowerIsBetter,
            "E_t ‖x − x̂‖² / (E_t ‖x‖² − ‖E_t x‖²) = 1 − explained_variance",
            "fraction of variance unexplained, dataset-mean baseline (not the per-batch one of explained_variance_legacy); " + RawSpace),
        D("evaluate.cosine_similarity", Score, HigherIsBetter, "E_t ⟨x, x̂⟩ / max(‖x‖·‖x̂‖, 1e-8)", RawSpace),
        D("evaluate.l0", Sparsity, TwoSided, "E_t #{i : f_i > 0}", "f = Encode(s·x), the exported SAELens SAE's latents on raw x; eval rows"),
        D("evaluate.l1", Loss, TwoSided, "E_t Σ_i |f_i|", "latents f = Encode(s·x) (s folded into W_enc on export); eval rows"),
        D("evaluate.l2_ratio", Score, TwoSided, "E_t ‖x̂‖ / ‖x‖, with ‖x‖ < 1e-4 replaced by 1", "SAELens' guard; < 1 means shrinkage; " + RawSpace),
        D("evaluate.relative_reconstruction_bias", Score, TwoSided, "E_t ‖x̂‖² / E_t ⟨x, x̂⟩", "Gated SAE paper eq. 10, ratio of means; < 1 means shrinkage; " + RawSpace),
        D("evaluate.dead_fraction", Fraction, LowerIsBetter, "#{i : density_i = 0} / d_sae", "density_i = #eval tokens with f_i > 0 / #eval tokens; never fired on the eval set (compare train.dead_fraction)"),
        D("evaluate.dense_fraction", Fraction, LowerIsBetter, "#{i : density_i > 0.1} / d_sae", "SAEBench freq_over_10_percent; eval set"),
        D("evaluate.freq_over_1_percent", Fraction, TwoSided, "#{i : density_i > 0.01} / d_sae", "SAEBench; eval set"),
        D("evaluate.mean_log10_density", Score, TwoSided, "mean_i log10(density_i + 1e-10)", "SAELens mean_log10_feature_sparsity; dead latents count as −10"),
        D("evaluate.mean_max_decoder_cosine", Score, LowerIsBetter,
            "mean_i max_{j≠i} cos(W_dec[i], W_dec[j])",
            "SAEBench; the exported decoder (row scales ignored by the cosine); high means near-duplicate latents"),
        D("evaluate.decoder_pairs_above_0_95", Count, LowerIsBetter,
            "#{(i, j) : i < j, both live, cos(W_dec[i], W_dec[j]) > 0.95}",
            "live = fired at least once on the eval set; a feature split over k copies adds k(k−1)/2"),
        D("evaluate.ce_loss_clean", Loss, TwoSided, "Σ −log p_clean(next) / counted positions", CeConvention),
        D("evaluate.ce_loss_spliced", Loss, LowerIsBetter, "Σ −log p_spliced(next) / counted positions, the SAE's reconstruction spliced in at the hook", CeConvention),
        D("evaluate.ce_loss_zero_ablated", Loss, TwoSided, "Σ −log p_zero(next) / counted positions, the hook's activation set to 0", CeConvention),
        D("evaluate.ce_loss_delta", Loss, LowerIsBetter, "ce_loss_spliced − ce_loss_clean", CeConvention),
        D("evaluate.ce_loss_recovered", Score, HigherIsBetter,
            "(CE_zero − CE_spliced) / (CE_zero − CE_clean); NaN when |CE_zero − CE_clean| ≤ 1e-12",
            "SAELens ce_loss_score; " + CeConvention),
        D("evaluate.kl_spliced", Loss, LowerIsBetter,
            "mean over counted positions of KL(P_clean ‖ P_spliced) = Σ_v p_clean(v) (log p_clean(v) − log p_spliced(v))",
            "forward KL from the clean distribution to the spliced one; " + CeConvention),
        D("evaluate.kl_zero_ablated", Loss, TwoSided, "mean over counted positions of KL(P_clean ‖ P_zero)", "forward KL, as kl_spliced; " + CeConvention),
        D("evaluate.kl_score", Score, HigherIsBetter, "(KL_zero − KL_spliced) / KL_zero; NaN when KL_zero ≤ 1e-12", "SAELens kl_div_score; " + CeConvention),
        D("evaluate.ce_tokens", Size, TwoSided, "positions the CE and KL figures averaged over", "positions 0…T−2 whose input token is not special"),
        D("evaluate.mmcs", Score, HigherIsBetter,
            "mean over true features g of max_l cos(g, W_dec[l])",
            "synthetic data only; mean max cosine similarity over the TRUE features (Sharkey et al. 2023); signed, in [−1, 1]; decoder row norms ignored"),
        D("evaluate.mcc", Score, HigherIsBetter,
            "mean |cos(g, W_dec[l])| over a one-to-one matching of true features to decoder rows maximizing the total |cos| (Hungarian)",
            "synthetic data only; min(true features, d_sae) pairs; sign ignored"),
        D("evaluate.topics_recovered", Count, HigherIsBetter,
            "#{topics with a feature of precision ≥ evaluate.topic_precision}",
            "planted topics only; candidates fire on ≥ 0.1% of the eval tokens; precision = #(active ∧ topic) / #active over every eval token, <doc> tokens included as negatives"),
        D("evaluate.topics_recovered_best_f1", Count, HigherIsBetter,
            "#{topics whose best-F1 feature has precision ≥ evaluate.topic_precision}",
            "the proof of concept's stricter count; candidates as topics_recovered"),
        D("evaluate.topic.<topic>.precision", Score, HigherIsBetter,
            "#(active ∧ topic) / #active of the topic's best feature (highest precision; ties: higher recall, then lower index); 0 without a candidate",
            "active: f > 0; every eval token counted (<doc> as a negative); candidates fire on ≥ 0.1% of the eval tokens"),
        D("evaluate.topic.<topic>.recall", Score, HigherIsBetter,
            "#(active ∧ topic) / #topic tokens of the same best-precision feature; 0 without a candidate",
            "as topic.<topic>.precision"),
        D("evaluate.topic.<topic>.raw_precision", Score, TwoSided,
            "precision of the best raw direction (coordinate d of x, sign ±) taking as many top-scoring tokens as the best feature fires on",
            "the neuron-basis baseline (proof of concept); ties: lower direction, then + before −; 0 without a best feature"),
        D("evaluate.topic.<topic>.raw_recall", Score, TwoSided, "recall of the same raw direction", "as raw_precision"),
        D("evaluate.topic.<topic>.matching_features", Count, TwoSided,
            "#{candidate features with precision ≥ evaluate.topic_precision}", "what ablate: auto:TOPIC zeroes"),
        D("evaluate.topic.<topic>.auto_feature", Identifier, TwoSided,
            "index of the highest-recall feature among those with precision ≥ evaluate.topic_precision (ties: higher precision, then lower index)",
            "what auto:TOPIC steers; only when the topic has one; a latent index, not a quantity"),
        D("evaluate.topic.<topic>.auto_precision", Score, HigherIsBetter, "precision of the auto feature", "only when the topic has one"),
        D("evaluate.topic.<topic>.auto_recall", Score, HigherIsBetter, "recall of the auto feature", "only when the topic has one"),
        D("evaluate.topics.mean_precision", Score, HigherIsBetter, "mean over topics of topic.<topic>.precision", "a topic without a candidate counts as 0"),
        D("evaluate.topics.mean_recall", Score, HigherIsBetter, "mean over topics of topic.<topic>.recall", "a topic without a candidate counts as 0"),
        D("evaluate.topics.mean_raw_precision", Score, TwoSided, "mean over topics of topic.<topic>.raw_precision", "a topic without a candidate counts as 0"),
        D("evaluate.topics.mean_raw_recall", Score, TwoSided, "mean over topics of topic.<topic>.raw_recall", "a topic without a candidate counts as 0"),
        D("evaluate.topics.mean_best_f1_precision", Score, HigherIsBetter,
            "mean over topics of the precision of the best-F1 feature (F1 = 2PR / (P + R); ties: lower index)", "the proof of concept's comparison; 0 without a candidate"),
        D("evaluate.topics.mean_best_f1_raw_precision", Score, TwoSided,
            "mean over topics of the precision of the best raw direction taking as many tokens as the best-F1 feature fires on", "the proof of concept's baseline; 0 without a candidate"),
    ];
}
