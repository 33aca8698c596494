using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static Runner.Pipeline.Spec.SchemaType;

namespace Runner.Pipeline.Spec;

/// <summary>
/// Every key of the experiment spec: type, default, documentation, and when it applies. The
/// validator, the resolved spec's key order, sweep key checks and the reference table
/// (docs/spec-reference.md) all come from here. The records (<see cref="ExperimentSpec"/> and its
/// sections) mirror it; a test checks that they agree.
/// </summary>
internal static partial class SpecSchema
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    private static SchemaField F(string name, SchemaType type, JsonNode? @default, string doc) =>
        new(name, type, doc) { Default = @default is JsonValue v && v.TryGetValue<int>(out var i) ? JsonValue.Create((long)i) : @default };

    private static SchemaCondition Arch(params string[] architectures) => new SchemaCondition.ValueIs("sae.architecture", architectures);

    private static readonly Choice Precisions = new("float32", "bfloat16");

    public static readonly Section Cache = new([
        F("dir", new FilePath(), null, "Cache folder; null = `$RUNNER_CACHE`, else `.runner/cache` under the working directory."),
    ]);

    public static readonly Section Toy = new([
        F("corpus", new Choice("planted-topics"), "planted-topics", "Corpus the toy model is pretrained on."),
        F("layers", new Int(1), 1, "Transformer blocks."),
        F("d_model", new Int(1), 64, "Residual stream width."),
        F("heads", new Int(1), 4, "Attention heads; must divide `d_model`."),
        F("d_mlp", new Int(1), 256, "MLP hidden width."),
        F("context", new Int(1), 64, "Maximum sequence length (learned positions)."),
        F("tokens", new Int(1, long.MaxValue), 2_000_000, "Tokens of generated corpus to pretrain on."),
        F("steps", new Int(1), 1500, "Optimizer steps."),
        F("batch_size", new Int(1), 32, "Sequences per step."),
        F("lr", new Float(0, minExclusive: true), 3e-3, "AdamW peak learning rate."),
        F("weight_decay", new Float(0), 0.1, "AdamW weight decay."),
        F("warmup_steps", new Int(0), 50, "Linear learning-rate warm-up steps, then cosine decay."),
    ]);

    public static readonly Section Model = new([
        F("source", new Choice("toy", "hf"), "toy", "`toy`: a small LM trained by the `pretrain` stage; `hf`: a Hugging Face checkpoint."),
        F("path", new FilePath(), null, "Checkpoint folder (config.json, safetensors, tokenizer files). One of `path`, `id`.") with { When = [new SchemaCondition.ValueIs("model.source", "hf")] },
        F("id", new Text(), null, "Model id (e.g. `gpt2`, `EleutherAI/pythia-70m`) resolved offline from the local HF cache (`HF_HUB_CACHE`, `HF_HOME`, `~/.cache/huggingface/hub`). One of `path`, `id`.") with { When = [new SchemaCondition.ValueIs("model.source", "hf")] },
        F("revision", new Text(), null, "Snapshot revision in the HF cache; null = the `main` ref.") with { When = [new SchemaCondition.ValueIs("model.source", "hf"), new SchemaCondition.IsSet("model.id")] },
        F("dtype", Precisions, "float32", "Precision the model runs in."),
        F("toy", Toy, null, "The toy model's shape and pretraining.") with { When = [new SchemaCondition.ValueIs("model.source", "toy")] },
    ], [new SchemaGroup(["path", "id"], Required: true)]);

    public static readonly Section Synthetic = new([
        F("features", new Int(1), 512, "Number of true features (random unit vectors)."),
        F("d_in", new Int(1), 64, "Dimension of the activations (the SAE's d_in)."),
        F("frequency", new Float(0, minExclusive: true, 1), 0.01, "Probability that a feature is active on a token."),
        F("frequency_decay", new Float(0), 0.0, "Spread of the firing probabilities: p_i ∝ (i + 1)^-decay, scaled so their mean is `frequency` (0 = every feature fires with probability `frequency`; 1 = Zipf-like)."),
        F("magnitude", new Float(0, minExclusive: true), 1.0, "Mean magnitude of an active feature."),
        F("magnitudes", new Choice("constant", "uniform", "exponential"), "uniform", "How an active feature's magnitude is drawn: `constant` (= magnitude), `uniform` on [m/2, 3m/2], `exponential` with mean m (many small activations)."),
        F("correlation", new Float(0, max: 1), 0.0, "Correlation between feature activations (0 = independent)."),
    ]);

    public static readonly Section Data = new([
        F("corpus", new Choice("planted-topics"), "planted-topics", "Built-in generated corpus with per-token topic ground truth; the source when none of `files`, `jsonl`, `synthetic` is given."),
        F("files", new List(new FilePath(glob: true), "globs", single: true), null, "Plain-text files (globs, relative to the file that names them). One of `corpus`, `files`, `jsonl`, `synthetic`."),
        F("jsonl", new List(new FilePath(glob: true), "globs", single: true), null, "JSON-lines files (globs); each line's text is in `text_field`. One of `corpus`, `files`, `jsonl`, `synthetic`."),
        F("text_field", new Text(), "text", "Field of each JSON line that holds the text.") with { When = [new SchemaCondition.IsSet("data.jsonl")] },
        F("synthetic", Synthetic, null, "Synthetic activations with known true features (no model, no text). One of `corpus`, `files`, `jsonl`, `synthetic`."),
        F("tokens", new Int(1, long.MaxValue), 1_000_000, "Tokens (activation rows) captured for SAE training (`store: disk`; unused with `stream`)."),
        F("context", new Int(1), 64, "Tokens per packed sequence."),
        F("bos", new Bool(), true, "Start every sequence with the tokenizer's BOS token."),
        F("activation_dtype", new Choice("float32", "bfloat16", "float16"), "float32", "Precision of the stored activation shards: `bfloat16` and `float16` halve the disk and page cache (float16 keeps 3 more mantissa bits but overflows above 65504)."),
        F("store", new Choice("disk", "stream"), "disk", "`disk`: capture stores `data.tokens` training rows and train reads them; `stream`: train runs the model and trains on fresh rows through a shuffle buffer, storing none (`sae.tokens` fresh tokens, no epochs; capture stores only the eval set, with a model only its token ids). See README, \"Streaming\"."),
        F("shuffle_buffer", new Int(1, long.MaxValue), null, "Rows in the shuffle buffer (filled with fresh rows, handed out in a seeded random order); null = 64 × `sae.batch_size`; never more than the rows trained on. Must fit in memory (checked before anything runs).") with { When = [new SchemaCondition.ValueIs("data.store", "stream")] },
    ], [new SchemaGroup(["corpus", "files", "jsonl", "synthetic"], DefaultKey: "corpus")]);

    public static readonly Section Hook = new([
        F("layer", new Int(0), 0, "Block index (0-based)."),
        F("site", new Choice("resid_pre", "resid_mid", "resid_post", "mlp_hidden", "mlp_out", "attn_out"), "resid_post", "Site within the block."),
    ]);

    public static readonly Section Resample = new([
        F("every", new Int(1, long.MaxValue), null, "Resample every this many training tokens (rounded up to whole steps); a latent that has not fired in the last interval is dead; null = never resample."),
        F("until", new Float(0, max: 1), 0.5, "No resampling after this fraction of the run, so the new latents settle before the learning rate decays."),
        F("dead", new Bool(), true, "Resample dead latents."),
        F("duplicates", new Float(0, minExclusive: true, 1, maxExclusive: true), null, "Of each pair of latents whose decoder directions have cosine above this, resample the one that contributes less to the batch's reconstruction; null = leave near-duplicates alone."),
    ]);

    public static readonly Section Sae = new([
        F("architecture", new Choice("relu", "topk", "batchtopk", "jumprelu"), "topk", "`relu` (Anthropic April 2024), `topk` (Gao et al. 2024), `batchtopk` (exported as jumprelu), `jumprelu`."),
        F("dict_size", new Int(1), null, "Number of latents. Give `dict_size` or `expansion`, not both."),
        F("expansion", new Float(0, minExclusive: true), 8.0, "Latents as a multiple of d_in (dict_size = round(expansion × d_in)); the default when `dict_size` is not given."),
        F("k", new Int(1), 32, "Active latents per token (batchtopk: on average).") with { When = [Arch("topk", "batchtopk")] },
        F("lr", new Float(0, minExclusive: true), 2e-4, "Adam learning rate."),
        F("batch_size", new Int(1), 4096, "Activation rows per training step."),
        F("tokens", new Int(1, long.MaxValue), 1_000_000, "Training tokens (with `data.store: disk`, more than `data.tokens` means several epochs; with `stream`, fresh tokens)."),
        F("dtype", Precisions, "float32", "Training precision; `bfloat16` is autocast with fp32 master weights."),
        F("lr_decay_fraction", new Float(0, max: 1), 0.2, "Fraction of steps at the end over which the learning rate decays linearly to 0."),
        F("beta1", new Float(0, max: 1, maxExclusive: true), 0.9, "Adam β1."),
        F("beta2", new Float(0, max: 1, maxExclusive: true), 0.999, "Adam β2."),
        F("grad_clip", new Float(0), 1.0, "Gradient-norm clip; 0 = off."),
        F("normalize", new Bool(), true, "Scale inputs by one scalar so their mean norm is √d_in (folded into the weights at save)."),
        F("dead_window", new Int(1, long.MaxValue), 10_000_000, "A latent is dead when it has not fired for this many tokens (or the whole run if shorter)."),
        F("checkpoint_every", new Int(1, long.MaxValue), null, "Checkpoint every this many tokens; null = only on cancel."),
        F("log_every", new Int(1), 100, "Record training curves every this many steps (changes no result; not part of cache keys)."),
        F("aux_k", new Int(1), null, "Dead latents used by the AuxK loss; null = d_in / 2.") with { When = [Arch("topk", "batchtopk")] },
        F("aux_k_coefficient", new Float(0), 0.03125, "Weight of the AuxK loss.") with { When = [Arch("topk", "batchtopk")] },
        F("l1_coefficient", new Float(0), 5.0, "Sparsity penalty λ (decoder-norm-weighted L1).") with { When = [Arch("relu")] },
        F("l1_warmup_fraction", new Float(0, max: 1), 0.05, "Fraction of steps over which λ warms up from 0.") with { When = [Arch("relu")] },
        F("resample", Resample, null, "Re-initialize dead and near-duplicate latents toward inputs the SAE reconstructs worst (Towards Monosemanticity's resampling; Adam's moments of those rows reset); off unless `every` is set.") with { When = [Arch("relu")] },
        F("sparsity_mode", new Choice("step", "tanh"), "tanh", "`step` (L0 through a Heaviside step) or `tanh` (Anthropic January 2025).") with { When = [Arch("jumprelu")] },
        F("l0_coefficient", new Float(0), 5.0, "Sparsity penalty weight.") with { When = [Arch("jumprelu")] },
        F("tanh_scale", new Float(0, minExclusive: true), 4.0, "Sharpness c of the tanh penalty.") with { When = [Arch("jumprelu"), new SchemaCondition.ValueIs("sae.sparsity_mode", "tanh")] },
        F("bandwidth", new Float(0, minExclusive: true), 2.0, "Straight-through estimator bandwidth ε.") with { When = [Arch("jumprelu")] },
        F("init_threshold", new Float(0, minExclusive: true), 0.1, "Initial threshold θ (kept in fp32, not log-parameterized).") with { When = [Arch("jumprelu")] },
        F("pre_act_coefficient", new Float(0), 3e-6, "Weight of the pre-activation loss on dead latents.") with { When = [Arch("jumprelu")] },
    ], [new SchemaGroup(["dict_size", "expansion"], DefaultKey: "expansion")]);

    public static readonly Section Evaluate = new([
        F("tokens", new Int(1, long.MaxValue), 100_000, "Held-out tokens the SAE is evaluated on."),
        new SchemaField("ce_loss", new Bool(), "CE loss and KL with the SAE spliced into the model (needs a model).")
        {
            DefaultFrom = v => v.Values.GetValueOrDefault("data.synthetic") is null,
            DefaultDoc = "true (false with `data.synthetic`)",
        },
        F("top_features", new Int(0), 100, "Features (the strongest) whose top-activating examples are saved."),
        F("top_examples", new Int(1), 10, "Top-activating examples saved per feature."),
        F("example_window", new Int(0), 8, "Tokens of context saved on each side of an example."),
        F("topic_precision", new Float(0, minExclusive: true, 1), 0.9, "Precision a feature needs to count as matching a topic (data with ground truth; also used by `auto:TOPIC`)."),
    ]);

    public static readonly Section Clamp = new([
        new SchemaField("feature", new Feature(), "The feature: an index, `auto:TOPIC` (highest-recall feature among those with precision ≥ `evaluate.topic_precision` for the topic) or `random` (a control: one seeded live feature for the whole spec; with ground-truth topics one that matches no topic, precision < 0.5 for every topic).") { Required = true },
        F("value", new Float(), null, "Set the activation to this value."),
        F("multiple_of_max", new Float(), null, "Set the activation to this multiple of the feature's max activation in evaluation."),
        F("scale", new Float(), null, "Multiply the current activation by this factor."),
        F("add", new Float(), null, "Add this multiple of the feature's decoder row."),
        F("positions", new Choice("all", "prompt", "generated"), "all", "Token positions the clamp acts on."),
        F("label", new Text(), null, "Name of the setting in tables and reports; null = derived from the clamp."),
        F("on", new Choice("prompts", "topic_prompts"), "prompts", "Which prompts the setting generates from: `steer.prompts`, or `steer.topic_prompts` (e.g. to suppress a topic where it is already present)."),
    ], [new SchemaGroup(["value", "multiple_of_max", "scale", "add"], Required: true)]);

    public static readonly Section TopicPrompts = new([
        F("count", new Int(1), 50, "Prompts: the openings of this many held-out documents on `steer.topic`."),
        F("tokens", new Int(1), 16, "Tokens of each opening (the document marker included)."),
    ]);

    public static readonly Section Generate = new([
        F("tokens", new Int(1), 30, "New tokens per completion."),
        F("samples", new Int(1), 20, "Completions per prompt and setting."),
        F("greedy", new Bool(), false, "Take the most likely token instead of sampling."),
        F("temperature", new Float(0, minExclusive: true), 1.0, "Sampling temperature."),
        F("top_k", new Int(1), null, "Sample among the k most likely tokens; null = no limit.") with { When = [new SchemaCondition.ValueIs("steer.generate.greedy", "false")] },
        F("top_p", new Float(0, minExclusive: true, 1), null, "Nucleus sampling mass; null = no limit.") with { When = [new SchemaCondition.ValueIs("steer.generate.greedy", "false")] },
    ]);

    public static readonly Section Steer = new([
        F("prompts", new List(new Text(), "strings", single: true), new JsonArray(), "Prompts generation starts from; needed when `clamps` or `ablate` is set."),
        F("clamps", new List(Clamp, "clamps"), new JsonArray(), "Feature clamps; each entry is one setting compared with the unclamped baseline (error term preserved)."),
        F("ablate", new List(new Feature(), "features", single: true), new JsonArray(), "Features set to 0 together, as one more setting; `auto:TOPIC` means every feature matching the topic."),
        F("ablate_on", new Choice("prompts", "topic_prompts"), "prompts", "Which prompts the ablation setting generates from (see `clamps[].on`)."),
        F("topic", new Text(), null, "Ground-truth topic whose share of generated words is measured per setting (planted-topics corpus with the toy model), e.g. `bridge`."),
        F("topic_prompts", TopicPrompts, null, "A second prompt set: openings of held-out documents on `steer.topic` (toy model only).") with { When = [new SchemaCondition.IsSet("steer.topic")] },
        F("generate", Generate, null, "How completions are sampled."),
    ]);

    public static readonly Section HookScriptSection = new([
        new SchemaField("path", new FilePath(".fsx", mustExist: true), "The F# script (relative to the file that names it); must exist.") { Required = true },
        F("when", new Choice("after_train", "after_evaluate", "after_steer", "end"), "end", "When it runs."),
        F("args", new FreeMap(), new JsonObject(), "Free-form arguments passed to the script."),
    ]);

    public static readonly Section Mlflow = new([
        new SchemaField("experiment", new Text(), "MLflow experiment (created if missing).")
        {
            DefaultFrom = v => v.Values.GetValueOrDefault("name")?.DeepClone(),
            DefaultDoc = "the spec's `name`",
        },
        F("uri", new Text(), null, "Tracking URI (`http(s)://…` for a server, or a folder); null = `$MLFLOW_TRACKING_URI`, else `./mlruns`."),
    ]);

    public static readonly Section TrackingSection = new([
        F("mlflow", Mlflow, null, "MLflow tracking: one run per point, a sweep is a parent run with children."),
    ]);

    /// <summary>The whole spec (without <c>include</c> and <c>sweep</c>, which the loader consumes first).</summary>
    public static readonly Section Root = new([
        new SchemaField("name", new Text(NamePattern(), "letters, digits, '.', '_' or '-', starting with a letter or digit"), "Experiment name; runs live in `runs/<name>/<run>/`.") { Required = true, NotSweepable = true },
        F("seed", new Int(0, long.MaxValue), 0, "Seed every random stream (init, shuffling, sampling, data order) derives from."),
        F("device", new Device(), "auto", "Where stages run; `auto` = CUDA when available, else CPU."),
        F("cache", Cache, null, "The content-addressed stage cache."),
        F("model", Model, null, "The language model whose activations are studied."),
        F("data", Data, null, "The text (or synthetic activations) the model reads."),
        F("hook", Hook, null, "Which activations are captured."),
        F("sae", Sae, null, "The sparse autoencoder and its training."),
        F("evaluate", Evaluate, null, "Evaluation of the trained SAE."),
        F("steer", Steer, null, "Steering: generation with clamped features."),
        F("hooks", new List(new SchemaType.HookScript(HookScriptSection), "scripts", single: true), new JsonArray(), "F# scripts run after the stages: a path, or `{ path, when, args }`."),
        F("tracking", new SchemaType.Tracking(TrackingSection, Mlflow), null, "`none`, or `{ mlflow: { experiment, uri } }`."),
    ], extraKeys: ["include", "sweep"]);
}
