namespace Runner.Core.Metrics;

/// <summary>
/// An SAE's evaluation. Reconstruction metrics compare raw activations x with the reconstruction
/// mapped back to raw space, x̂ = Decode(Encode(s·x)) / s (unscaled to unscaled, as SAELens PR #521);
/// latent statistics are of f = Encode(s·x), which are exactly the exported SAELens SAE's latents on
/// raw x (s is folded into W_enc). E_t is the mean over every evaluated token, Σ_d the sum over d_in.
/// </summary>
public sealed record SaeMetrics
{
    /// <summary>Threshold above which a feature counts as dense (SAEBench freq_over_10_percent).</summary>
    public const double DenseThreshold = 0.1;

    /// <summary>Threshold of <see cref="FreqOver1Percent"/>.</summary>
    public const double OnePercent = 0.01;

    /// <summary>Tokens evaluated.</summary>
    public required long Tokens { get; init; }

    /// <summary><c>mse</c> = E_t Σ_d (x − x̂)² (sum over dims, mean over tokens; raw space).</summary>
    public required double Mse { get; init; }

    /// <summary><c>normalized_mse</c> = E_t ‖x − x̂‖² / E_t ‖x‖² (ratio of means; predicting 0 scores 1).</summary>
    public required double NormalizedMse { get; init; }

    /// <summary>
    /// <c>explained_variance</c> = 1 − E_t ‖x − x̂‖² / (E_t ‖x‖² − ‖E_t x‖²): numerator and denominator
    /// averaged separately over the whole evaluation set (SAELens PR #443 / #665, the corrected formula).
    /// </summary>
    public required double ExplainedVariance { get; init; }

    /// <summary>
    /// <c>explained_variance_legacy</c> = mean over tokens of 1 − ‖x − x̂‖² / ‖x − mean_batch x‖² (per-token
    /// ratios, batch mean as baseline: depends on the batch size; SAEBench paper numbers used it).
    /// </summary>
    public required double ExplainedVarianceLegacy { get; init; }

    /// <summary><c>fvu</c> = 1 − explained_variance (fraction of variance unexplained, dataset-mean baseline).</summary>
    public required double Fvu { get; init; }

    /// <summary><c>cosine_similarity</c> = E_t cos(x, x̂).</summary>
    public required double CosineSimilarity { get; init; }

    /// <summary><c>l0</c> = E_t #{i : f_i &gt; 0}.</summary>
    public required double L0 { get; init; }

    /// <summary><c>l1</c> = E_t Σ_i |f_i|.</summary>
    public required double L1 { get; init; }

    /// <summary><c>l2_ratio</c> = E_t ‖x̂‖ / ‖x‖, with ‖x‖ &lt; 1e-4 replaced by 1 (SAELens' guard); &lt; 1 means shrinkage.</summary>
    public required double L2Ratio { get; init; }

    /// <summary><c>relative_reconstruction_bias</c> γ = E_t ‖x̂‖² / E_t ⟨x, x̂⟩ (Gated SAE paper, eq. 10); &lt; 1 means shrinkage.</summary>
    public required double RelativeReconstructionBias { get; init; }

    /// <summary><c>dead_fraction</c> = fraction of features that never fired (density 0) on the evaluation set.</summary>
    public required double DeadFraction { get; init; }

    /// <summary><c>dense_fraction</c> = fraction of features with density &gt; 0.1 (SAEBench freq_over_10_percent).</summary>
    public required double DenseFraction { get; init; }

    /// <summary><c>freq_over_1_percent</c> = fraction of features with density &gt; 0.01 (SAEBench).</summary>
    public required double FreqOver1Percent { get; init; }

    /// <summary><c>mean_log10_density</c> = mean over features of log10(density + 1e-10) (SAELens mean_log10_feature_sparsity).</summary>
    public required double MeanLog10Density { get; init; }

    /// <summary><c>mean_max_decoder_cosine</c> = mean of <see cref="MaxDecoderCosine"/> (NaN when not computed).</summary>
    public required double MeanMaxDecoderCosine { get; init; }

    /// <summary>Cosine above which two decoder directions count as near-duplicates in <see cref="DecoderPairsAboveThreshold"/>.</summary>
    public const double DuplicateCosine = 0.95;

    /// <summary>
    /// <c>decoder_pairs_above_0_95</c> = #{(i, j) : i &lt; j, both live (density &gt; 0), cos(W_dec[i], W_dec[j]) &gt; 0.95}:
    /// near-duplicate latent pairs (−1 when not computed). A feature split over k copies adds k(k − 1)/2.
    /// </summary>
    public long DecoderPairsAboveThreshold { get; init; } = -1;

    /// <summary>Per feature: density p_i = #tokens with f_i &gt; 0 / #tokens (what sparsity.safetensors stores, as log10(p + 1e-10)).</summary>
    public required double[] Density { get; init; }

    /// <summary>Per feature: max_t f_i (0 when it never fired); the base of clamps' multiple_of_max.</summary>
    public required double[] MaxActivation { get; init; }

    /// <summary>Per feature: mean of f_i over the tokens where it fires (0 when it never fired).</summary>
    public required double[] MeanActivationWhenActive { get; init; }

    /// <summary>Per feature: mean of f_i over all tokens.</summary>
    public required double[] MeanActivation { get; init; }

    /// <summary>Per feature: max_{j≠i} cos(W_dec[i], W_dec[j]) (SAEBench); empty when not computed.</summary>
    public required double[] MaxDecoderCosine { get; init; }

    /// <summary>The log10 feature density histogram.</summary>
    public required DensityHistogram DensityHistogram { get; init; }

    /// <summary>The scalar metrics by their names (tracking, reports, stage results); mean_max_decoder_cosine and decoder_pairs_above_0_95 only when computed.</summary>
    public IReadOnlyDictionary<string, double> Scalars()
    {
        var scalars = new Dictionary<string, double>
        {
            ["tokens"] = Tokens,
            ["mse"] = Mse,
            ["normalized_mse"] = NormalizedMse,
            ["explained_variance"] = ExplainedVariance,
            ["explained_variance_legacy"] = ExplainedVarianceLegacy,
            ["fvu"] = Fvu,
            ["cosine_similarity"] = CosineSimilarity,
            ["l0"] = L0,
            ["l1"] = L1,
            ["l2_ratio"] = L2Ratio,
            ["relative_reconstruction_bias"] = RelativeReconstructionBias,
            ["dead_fraction"] = DeadFraction,
            ["dense_fraction"] = DenseFraction,
            ["freq_over_1_percent"] = FreqOver1Percent,
            ["mean_log10_density"] = MeanLog10Density,
        };
        if (MaxDecoderCosine.Length > 0) scalars["mean_max_decoder_cosine"] = MeanMaxDecoderCosine;
        if (DecoderPairsAboveThreshold >= 0) scalars["decoder_pairs_above_0_95"] = DecoderPairsAboveThreshold;
        return scalars;
    }
}
