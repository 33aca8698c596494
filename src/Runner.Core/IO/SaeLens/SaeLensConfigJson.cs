using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Core.IO;

/// <summary>
/// <see cref="SaeLensConfig"/> to and from <c>cfg.json</c>. Writing follows SAELens's
/// <c>SAEConfig.to_dict()</c> key order (base fields, <c>metadata</c>, architecture fields,
/// <c>architecture</c> last). Reading decides v6 or legacy as SAELens's <c>handle_config_defaulting</c>
/// does (a <c>sae_lens_version</c> at top level or in <c>metadata</c>, PEP 440 ≥ 6.0.0rc0) and
/// converts legacy flat files as <c>handle_pre_6_0_config</c> does. Unknown top-level keys are
/// ignored, as SAELens ignores them.
/// </summary>
public static class SaeLensConfigJson
{
    private static readonly string[] NormalizeValues = ["none", "expected_average_only_in", "constant_norm_rescale", "layer_norm"];
    private static readonly string[] DTypeValues = ["float32", "float64", "float16", "bfloat16"];

    // metadata keys with a typed property, in the order they are written
    private static readonly string[] KnownMetadata =
    [
        "sae_lens_version", "sae_lens_training_version", "model_name", "model_class_name", "hook_name", "hook_head_index",
        "context_size", "prepend_bos", "dataset_path", "seqpos_slice", "model_from_pretrained_kwargs", "exclude_special_tokens", "neuronpedia_id",
    ];

    // SAELens's LLM_METADATA_KEYS: what a legacy flat cfg moves into metadata
    private static readonly string[] LegacyMetadata = [.. KnownMetadata, "hook_name_out", "hook_head_index_out"];

    /// <summary>The cfg.json text: indented, UTF-8 without escaping of non-ASCII, newline-terminated.</summary>
    public static string Serialize(SaeLensConfig config) =>
        ToJson(config).ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";

    /// <summary>The v6 JSON object of <paramref name="config"/>.</summary>
    public static JsonObject ToJson(SaeLensConfig config)
    {
        var root = new JsonObject
        {
            ["d_in"] = config.DIn,
            ["d_sae"] = config.DSae,
            ["dtype"] = config.DType,
            ["device"] = config.Device,
            ["apply_b_dec_to_input"] = config.ApplyBDecToInput,
            ["normalize_activations"] = config.NormalizeActivations,
            ["reshape_activations"] = config.ReshapeActivations,
            ["metadata"] = MetadataJson(config.Metadata),
        };
        if (config.Architecture == "topk")
        {
            root["k"] = config.K ?? throw new ArgumentException("a topk config needs K", nameof(config));
            root["rescale_acts_by_decoder_norm"] = config.RescaleActsByDecoderNorm;
        }
        root["architecture"] = config.Architecture;
        return root;
    }

    private static JsonObject MetadataJson(SaeLensMetadata m)
    {
        var kwargs = new JsonObject();
        foreach (var (k, v) in m.ModelFromPretrainedKwargs) kwargs[k] = v?.DeepClone();
        var o = new JsonObject
        {
            ["sae_lens_version"] = m.SaeLensVersion,
            ["sae_lens_training_version"] = m.SaeLensTrainingVersion,
            ["model_name"] = m.ModelName,
            ["model_class_name"] = m.ModelClassName,
            ["hook_name"] = m.HookName,
            ["hook_head_index"] = m.HookHeadIndex,
            ["context_size"] = m.ContextSize,
            ["prepend_bos"] = m.PrependBos,
            ["dataset_path"] = m.DatasetPath,
            ["seqpos_slice"] = new JsonArray([.. m.SeqposSlice.Select(s => (JsonNode?)(s is { } v ? JsonValue.Create(v) : null))]),
            ["model_from_pretrained_kwargs"] = kwargs,
            ["exclude_special_tokens"] = m.ExcludeSpecialTokens?.DeepClone(),
            ["neuronpedia_id"] = m.NeuronpediaId,
        };
        foreach (var (k, v) in m.Extra.Where(p => !KnownMetadata.Contains(p.Key)).OrderBy(p => p.Key, StringComparer.Ordinal)) o[k] = v?.DeepClone();
        return o;
    }

    /// <summary>Parses cfg.json text; <paramref name="path"/> names the file in errors.</summary>
    public static SaeLensConfig Parse(string json, string path)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new RunnerException($"{path}: not valid JSON: {e.Message}", inner: e);
        }
        return FromJson(node as JsonObject ?? throw new RunnerException($"{path}: expected a JSON object"), path);
    }

    /// <summary>Reads a v6 or legacy cfg object; a <see cref="RunnerException"/> naming the key when a value is wrong.</summary>
    public static SaeLensConfig FromJson(JsonObject root, string path)
    {
        var f = new Fields(root, path, "");
        var version = f.String("sae_lens_version");
        if (string.IsNullOrEmpty(version) && root["metadata"] is JsonObject meta) version = new Fields(meta, path, "metadata.").String("sae_lens_version");
        bool v6;
        try
        {
            v6 = !string.IsNullOrEmpty(version) && Pep440.IsAtLeast6(version);
        }
        catch (FormatException e)
        {
            throw new RunnerException($"{path}: sae_lens_version: {e.Message}", inner: e);
        }
        return v6 ? FromV6(f, root, path) : FromLegacy(root, path);
    }

    private static SaeLensConfig FromV6(Fields f, JsonObject root, string path)
    {
        var architecture = f.String("architecture") ?? throw f.Error("architecture", "is required");
        var metadata = root["metadata"] switch
        {
            null => new SaeLensMetadata(),
            JsonObject m => ReadMetadata(new Fields(m, path, "metadata."), m, [.. m.Select(p => p.Key)], legacy: false),
            _ => throw f.Error("metadata", "expected an object"),
        };
        return new SaeLensConfig
        {
            DIn = f.PositiveInt("d_in"),
            DSae = f.PositiveInt("d_sae"),
            Architecture = architecture,
            DType = DType(f),
            Device = f.String("device") ?? "cpu",
            ApplyBDecToInput = f.Bool("apply_b_dec_to_input") ?? true,
            NormalizeActivations = OneOf(f, "normalize_activations", NormalizeValues),
            ReshapeActivations = OneOf(f, "reshape_activations", ["none", "hook_z"]),
            // SAELens's TopKSAEConfig defaults k to 100
            K = architecture == "topk" ? f.OptionalPositiveInt("k") ?? 100 : null,
            RescaleActsByDecoderNorm = architecture == "topk" && (f.Bool("rescale_acts_by_decoder_norm") ?? false),
            Metadata = metadata,
        };
    }

    private static SaeLensConfig FromLegacy(JsonObject original, string path)
    {
        // handle_pre_6_0_config: rename, default, then move the LLM metadata keys into metadata.
        var root = new JsonObject();
        var renames = new Dictionary<string, string> { ["hook_point"] = "hook_name", ["hook_point_head_index"] = "hook_head_index", ["activation_fn_str"] = "activation_fn" };
        foreach (var (key, value) in original) root[renames.GetValueOrDefault(key, key)] = value?.DeepClone();
        var f = new Fields(root, path, "");
        var architecture = f.String("architecture") ?? "standard";
        var activation = f.String("activation_fn") ?? "relu";
        int? k = null;
        if (architecture == "topk" || (architecture == "standard" && activation == "topk"))
        {
            architecture = "topk";
            k = root["activation_fn_kwargs"] is JsonObject kwargs ? new Fields(kwargs, path, "activation_fn_kwargs.").OptionalPositiveInt("k") : null;
            if (k is null) throw f.Error("activation_fn_kwargs.k", "a legacy topk config needs it");
        }
        var normalize = root["normalize_activations"] switch
        {
            JsonValue b when b.GetValueKind() is JsonValueKind.True or JsonValueKind.False => b.GetValue<bool>() ? "expected_average_only_in" : "none",
            _ => OneOf(f, "normalize_activations", NormalizeValues),
        };
        var hookName = f.String("hook_name") ?? "";
        var metadataKeys = LegacyMetadata.Where(root.ContainsKey).ToList();
        var metadata = ReadMetadata(f, root, metadataKeys, legacy: true);
        return new SaeLensConfig
        {
            DIn = f.PositiveInt("d_in"),
            DSae = f.PositiveInt("d_sae"),
            Architecture = architecture,
            DType = DType(f),
            Device = f.String("device") ?? "cpu",
            ApplyBDecToInput = f.Bool("apply_b_dec_to_input") ?? true,
            NormalizeActivations = normalize,
            ReshapeActivations = f.String("reshape_activations") ?? (hookName.Contains("hook_z", StringComparison.Ordinal) ? "hook_z" : "none"),
            K = k,
            Metadata = metadata with { PrependBos = metadata.PrependBos ?? true },
            ConvertedFromLegacy = true,
        };
    }

    // keys: the metadata keys present (a legacy cfg holds them at top level among others).
    private static SaeLensMetadata ReadMetadata(Fields f, JsonObject o, IReadOnlyList<string> keys, bool legacy)
    {
        var kwargs = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        switch (o["model_from_pretrained_kwargs"])
        {
            case null: break;
            case JsonObject k:
                foreach (var (key, value) in k) kwargs[key] = value?.DeepClone();
                break;
            default: throw f.Error("model_from_pretrained_kwargs", "expected an object");
        }
        IReadOnlyList<int?> slice = [null];
        if (o["seqpos_slice"] is JsonArray a)
            slice = [.. a.Select((n, i) => n is null ? (int?)null : new Fields(o, f.Path, f.Prefix).IntElement(n, $"seqpos_slice[{i}]"))];
        else if (o.ContainsKey("seqpos_slice") && o["seqpos_slice"] is not null) throw f.Error("seqpos_slice", "expected a list");
        return new SaeLensMetadata
        {
            // A converted legacy config is v6-shaped now: it is written back as the current format.
            SaeLensVersion = legacy ? SaeLensMetadata.FormatVersion : f.String("sae_lens_version") ?? SaeLensMetadata.FormatVersion,
            SaeLensTrainingVersion = f.String("sae_lens_training_version"),
            ModelName = f.String("model_name"),
            ModelClassName = f.String("model_class_name"),
            HookName = f.String("hook_name"),
            HookHeadIndex = f.OptionalInt("hook_head_index"),
            ContextSize = f.OptionalInt("context_size"),
            PrependBos = f.Bool("prepend_bos"),
            DatasetPath = f.String("dataset_path"),
            SeqposSlice = slice,
            ModelFromPretrainedKwargs = kwargs,
            ExcludeSpecialTokens = o.ContainsKey("exclude_special_tokens") ? o["exclude_special_tokens"]?.DeepClone() : JsonValue.Create(false),
            NeuronpediaId = f.String("neuronpedia_id"),
            Extra = keys.Where(key => !KnownMetadata.Contains(key)).ToDictionary(key => key, key => o[key]?.DeepClone(), StringComparer.Ordinal),
        };
    }

    private static string DType(Fields f)
    {
        var raw = f.String("dtype") ?? "float32";
        var name = raw.StartsWith("torch.", StringComparison.Ordinal) ? raw["torch.".Length..] : raw;
        return DTypeValues.Contains(name) ? name : throw f.Error("dtype", $"expected one of {string.Join(", ", DTypeValues)}, got \"{raw}\"");
    }

    private static string OneOf(Fields f, string key, string[] allowed)
    {
        var value = f.String(key) ?? allowed[0];
        return allowed.Contains(value) ? value : throw f.Error(key, $"expected one of {string.Join(", ", allowed)}, got \"{value}\"");
    }

    /// <summary>Typed reads of one JSON object's members; absent and null read as null.</summary>
    private sealed class Fields(JsonObject o, string path, string prefix)
    {
        public string Path => path;
        public string Prefix => prefix;

        public RunnerException Error(string key, string what) => new($"{path}: {prefix}{key}: {what}");

        public string? String(string key) => o[key] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            var other => throw Error(key, $"expected a string, got {other.ToJsonString()}"),
        };

        public bool? Bool(string key) => o[key] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            var other => throw Error(key, $"expected true or false, got {other.ToJsonString()}"),
        };

        public int? OptionalInt(string key) => o[key] is { } n ? IntElement(n, key) : null;

        public int? OptionalPositiveInt(string key) => OptionalInt(key) is { } v ? (v > 0 ? v : throw Error(key, $"must be positive, got {v}")) : null;

        public int PositiveInt(string key) => OptionalPositiveInt(key) ?? throw Error(key, "is required");

        public int IntElement(JsonNode n, string key) =>
            n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) ? i
                : throw Error(key, $"expected an integer, got {n.ToJsonString()}");
    }
}
