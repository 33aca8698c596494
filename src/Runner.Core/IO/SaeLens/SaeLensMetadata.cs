using System.Text.Json.Nodes;

namespace Runner.Core.IO;

/// <summary>
/// The <c>metadata</c> object of a SAELens v6 <c>cfg.json</c>: how the SAE should be used (which model,
/// which hook, what data). SAELens treats every key as optional; the loaders read those listed here
/// (its <c>LLM_METADATA_KEYS</c>). Other keys are kept in <see cref="Extra"/>.
/// </summary>
public sealed record SaeLensMetadata
{
    /// <summary>The SAELens version whose format Runner writes (PEP 440; >= 6.0.0 selects the v6 loader).</summary>
    public const string FormatVersion = "6.0.0";

    /// <summary><c>sae_lens_version</c>: the format version; SAELens loads files below 6.0.0 as legacy.</summary>
    public string SaeLensVersion { get; init; } = FormatVersion;

    /// <summary><c>sae_lens_training_version</c>: informational; SAELens defaults it to its own version, as Runner does to <see cref="FormatVersion"/>.</summary>
    public string? SaeLensTrainingVersion { get; init; } = FormatVersion;

    /// <summary><c>model_name</c>: the model the SAE was trained on (TransformerLens or Hugging Face name).</summary>
    public string? ModelName { get; init; }

    /// <summary><c>model_class_name</c>: <c>HookedTransformer</c> for TransformerLens hook names, else e.g. <c>AutoModelForCausalLM</c>.</summary>
    public string? ModelClassName { get; init; }

    /// <summary><c>hook_name</c>: where the activations come from, e.g. <c>blocks.8.hook_resid_pre</c>.</summary>
    public string? HookName { get; init; }

    /// <summary><c>hook_head_index</c>: the attention head for per-head hooks, else null.</summary>
    public int? HookHeadIndex { get; init; }

    /// <summary><c>context_size</c>: tokens per sequence during training.</summary>
    public int? ContextSize { get; init; }

    /// <summary><c>prepend_bos</c>: whether sequences started with BOS.</summary>
    public bool? PrependBos { get; init; }

    /// <summary><c>dataset_path</c>: the training corpus (a Hugging Face dataset id, a path, or a description).</summary>
    public string? DatasetPath { get; init; }

    /// <summary><c>seqpos_slice</c>: the positions trained on, as Python slice arguments; <c>[null]</c> = all.</summary>
    public IReadOnlyList<int?> SeqposSlice { get; init; } = [null];

    /// <summary><c>model_from_pretrained_kwargs</c>: arguments the model must be loaded with (empty for none).</summary>
    public IReadOnlyDictionary<string, JsonNode?> ModelFromPretrainedKwargs { get; init; } = new Dictionary<string, JsonNode?>();

    /// <summary><c>exclude_special_tokens</c>: false, true, or a JSON list of token ids (as SAELens allows).</summary>
    public JsonNode? ExcludeSpecialTokens { get; init; } = JsonValue.Create(false);

    /// <summary><c>neuronpedia_id</c>: the Neuronpedia id once uploaded, else null.</summary>
    public string? NeuronpediaId { get; init; }

    /// <summary>Any other keys (written after the known ones, sorted), e.g. <c>hook_name_out</c> or Runner's own.</summary>
    public IReadOnlyDictionary<string, JsonNode?> Extra { get; init; } = new Dictionary<string, JsonNode?>();
}
