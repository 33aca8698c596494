using Runner.Core.Sae;

namespace Runner.Core.IO;

/// <summary>
/// A SAELens <c>cfg.json</c> (v6 layout, what <c>SAEConfig.to_dict()</c> writes; see
/// sae-reference.md §3.3). <see cref="SaeLensConfigJson"/> converts to and from JSON, reading legacy
/// pre-v6 flat files too.
/// </summary>
public sealed record SaeLensConfig
{
    /// <summary>The architectures whose tensors Runner knows (§3.2).</summary>
    public static IReadOnlyList<string> KnownArchitectures { get; } = ["standard", "topk", "jumprelu", "gated"];

    /// <summary><c>d_in</c>: input width.</summary>
    public required int DIn { get; init; }

    /// <summary><c>d_sae</c>: number of latents.</summary>
    public required int DSae { get; init; }

    /// <summary><c>architecture</c>: standard, topk, jumprelu or gated (others cannot be loaded).</summary>
    public required string Architecture { get; init; }

    /// <summary><c>dtype</c>: float32, float64, float16 or bfloat16 (a <c>torch.</c> prefix is accepted on read).</summary>
    public string DType { get; init; } = "float32";

    /// <summary><c>device</c>: informational; loaders override it.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary><c>apply_b_dec_to_input</c>: subtract b_dec from the input before encoding.</summary>
    public bool ApplyBDecToInput { get; init; } = true;

    /// <summary><c>normalize_activations</c>: none, expected_average_only_in, constant_norm_rescale or layer_norm. Runner writes none (scales are folded into the weights).</summary>
    public string NormalizeActivations { get; init; } = "none";

    /// <summary><c>reshape_activations</c>: none or hook_z.</summary>
    public string ReshapeActivations { get; init; } = "none";

    /// <summary><c>k</c>: active latents per token; topk only (required there).</summary>
    public int? K { get; init; }

    /// <summary><c>rescale_acts_by_decoder_norm</c>: topk only; false once decoder norms are folded in.</summary>
    public bool RescaleActsByDecoderNorm { get; init; }

    /// <summary><c>metadata</c>: model, hook and data the SAE belongs to.</summary>
    public SaeLensMetadata Metadata { get; init; } = new();

    /// <summary>True when read from a pre-v6 flat file and converted (SAELens's <c>handle_pre_6_0_config</c>).</summary>
    public bool ConvertedFromLegacy { get; init; }

    /// <summary>The config of <paramref name="sae"/>'s export: its shape, its SAELens architecture, k for topk, float32, no normalization.</summary>
    public static SaeLensConfig For(ISparseAutoencoder sae, SaeLensMetadata metadata)
    {
        var architecture = sae.SaeLensArchitecture;
        return new SaeLensConfig
        {
            DIn = sae.Options.DIn,
            DSae = sae.Options.DSae,
            Architecture = architecture,
            K = architecture == "topk" ? sae.Options.K : null,
            Metadata = metadata,
        };
    }
}
