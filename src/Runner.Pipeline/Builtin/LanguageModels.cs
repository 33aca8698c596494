using Runner.Core;
using Runner.Core.Models;
using Runner.Core.Tokenizers;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>The spec's <c>model</c> (source hf) resolved on this machine: folder, revision, weights fingerprint, loading.</summary>
public static class LanguageModels
{
    /// <summary>Exit code of errors in the spec or its inputs (the CLI's usage code).</summary>
    private const int BadInput = 2;

    /// <summary>Where the pretrain stage leaves the toy model, inside its entry.</summary>
    public const string ToyModelFolder = "model";

    /// <summary>The model a stage runs on: an hf checkpoint, or the toy model its <c>pretrain</c> input trained.</summary>
    public static ResolvedModel Resolve(StageContext context) =>
        context.Point.Spec.Model.Source == ModelSource.Toy
            ? new ResolvedModel(Path.Combine(context.Input("pretrain").Directory, ToyModelFolder), "toy", null, "pretrain")
            : Resolve(context.Point.Spec.Model);

    /// <summary>The checkpoint folder of an hf model (path or id from the local HF cache).</summary>
    public static ResolvedModel Resolve(ModelSpec model) =>
        model.Source == ModelSource.Hf
            ? HfModelLocator.Resolve(model.Path, model.Id, model.Revision, Environment.GetEnvironmentVariable)
            : throw new RunnerException("model.source: toy models are trained by the pretrain stage, which the planted-topics issue adds; use model.source: hf", BadInput);

    /// <summary>SHA-256 over the checkpoint's config, weights and tokenizer files (memoized per process).</summary>
    public static string Fingerprint(ModelSpec model) => CheckpointFingerprint.Compute(Resolve(model).Directory);

    /// <summary>Loads the model in the spec's precision on <paramref name="device"/>.</summary>
    public static TransformerModel Load(ResolvedModel model, Device device, Precision dtype) =>
        TransformerModel.Load(model.Directory, device, dtype == Precision.Bfloat16 ? DType.BFloat16 : DType.Float32);

    /// <summary>The spec's hook as the model's hook point.</summary>
    public static HookPoint Point(HookSpec hook) => new(hook.Layer, hook.Site switch
    {
        Spec.HookSite.ResidPre => Core.Models.HookSite.ResidPre,
        Spec.HookSite.ResidMid => Core.Models.HookSite.ResidMid,
        Spec.HookSite.ResidPost => Core.Models.HookSite.ResidPost,
        Spec.HookSite.MlpHidden => Core.Models.HookSite.MlpHidden,
        Spec.HookSite.MlpOut => Core.Models.HookSite.MlpOut,
        Spec.HookSite.AttnOut => Core.Models.HookSite.AttnOut,
        _ => throw new ArgumentOutOfRangeException(nameof(hook)),
    });

    /// <summary>The hook's TransformerLens name, which SAELens's cfg.json hook_name uses (see <see cref="HookPoint.TransformerLensName"/>).</summary>
    public static string TransformerLensHookName(HookSpec hook) => Point(hook).TransformerLensName;

    /// <summary>Checks hook.layer and data.context against the checkpoint's config.json (a usage error when out of range).</summary>
    public static void CheckShape(ExperimentSpec spec)
    {
        if (spec.Model.Source == ModelSource.Toy) return; // the spec's own checks cover model.toy
        var config = ModelConfig.FromJson(Path.Combine(Resolve(spec.Model).Directory, "config.json"));
        if (spec.Hook.Layer >= config.Layers)
            throw new RunnerException($"hook.layer: must be < {config.Layers} (the model has {config.Layers} layers), got {spec.Hook.Layer}", BadInput);
        if (spec.Data.Context > config.MaxPositions)
            throw new RunnerException($"data.context: must be <= the model's {config.MaxPositions} positions, got {spec.Data.Context}", BadInput);
    }

    /// <summary>
    /// The token that starts every sequence and separates documents: the tokenizer's BOS, else its EOS (GPT-2 style
    /// models use one token for both), else the config's bos_token_id; null when there is none.
    /// </summary>
    public static int? Separator(ITokenizer tokenizer, ModelConfig config) => tokenizer.BosId ?? tokenizer.EosId ?? config.BosTokenId;

    /// <summary>A lookup table [vocab] of special token ids (BOS/EOS/added special tokens), excluded from metrics as SAELens does.</summary>
    public static bool[] SpecialTable(ITokenizer tokenizer, int vocab)
    {
        var table = new bool[Math.Max(vocab, tokenizer.VocabSize)];
        for (var i = 0; i < tokenizer.VocabSize; i++) table[i] = tokenizer.IsSpecial(i);
        if (tokenizer.BosId is { } b) table[b] = true;
        if (tokenizer.EosId is { } e) table[e] = true;
        return table;
    }

    /// <summary>Prompt ids as the SAE saw its training contexts: the separator first when data.bos is on.</summary>
    public static int[] PromptIds(ITokenizer tokenizer, ModelConfig config, string text, bool bos)
    {
        var ids = tokenizer.Encode(text);
        return bos && Separator(tokenizer, config) is { } sep ? [sep, .. ids] : ids;
    }
}
