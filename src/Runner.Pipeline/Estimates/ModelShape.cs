using Runner.Core.Data.Planted;
using Runner.Core.Models;
using Runner.Pipeline.Builtin;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Estimates;

/// <summary>
/// The parts of a model's shape that decide what its stages cost: from config.json for an hf model, from
/// <c>model.toy</c> (and the planted vocabulary) for the toy model. Counts follow the families' layouts.
/// </summary>
public sealed record ModelShape(ModelConfig Config)
{
    private static readonly Lazy<PlantedVocabulary> Planted = new(PlantedVocabulary.Create);

    /// <summary>The point's model; null for data.synthetic, which runs none.</summary>
    public static ModelShape? For(ExperimentSpec spec)
    {
        if (spec.Data.Synthetic is not null) return null;
        if (spec.Model.Source == ModelSource.Toy)
        {
            var vocabulary = Planted.Value;
            return new ModelShape(PretrainStage.ModelConfigFor(spec.Model.Toy ?? new ToyModelSpec(), vocabulary.Count, vocabulary.DocId));
        }
        return new ModelShape(ModelConfig.FromJson(Path.Combine(LanguageModels.Resolve(spec.Model).Directory, "config.json")));
    }

    private long D => Config.DModel;
    private long QWidth => (long)Config.Heads * Config.HeadDim;
    private long KvWidth => (long)Config.KvHeads * Config.HeadDim;
    private long MlpMatrices => Config.Family == ModelFamily.Llama ? 3 : 2;   // SwiGLU: gate, up, down

    /// <summary>Weights of one block.</summary>
    public long BlockParameters => D * QWidth + 2 * D * KvWidth + QWidth * D + MlpMatrices * D * Config.DMlp + 6 * D + QWidth + 2 * KvWidth + Config.DMlp;

    /// <summary>Every weight: embeddings, blocks, final norm, unembedding when untied.</summary>
    public long Parameters =>
        Config.VocabSize * D + (Config.Family == ModelFamily.Gpt2 ? Config.MaxPositions * D : 0)
        + Config.Layers * BlockParameters + 2 * D + (Config.TieWordEmbeddings ? 0 : Config.VocabSize * D);

    /// <summary>Width of the activation at the spec's hook point.</summary>
    public int SiteWidth(HookSpec hook) => (int)Config.SiteWidth(LanguageModels.Point(hook).Site);

    /// <summary>Matmul FLOPs (2 per multiply-add) per token of one whole block at sequence length <paramref name="context"/>.</summary>
    public double BlockFlops(int context) =>
        2.0 * (D * QWidth + 2 * D * KvWidth + QWidth * D) + 2.0 * 2 * context * QWidth + 2.0 * MlpMatrices * D * Config.DMlp;

    /// <summary>FLOPs per token of a forward pass up to the hook (the blocks before it, and the hooked one whole: an upper bound).</summary>
    public double FlopsTo(HookSpec hook, int context) => (hook.Layer + 1) * BlockFlops(context);

    /// <summary>FLOPs per token of a whole forward pass, unembedding included.</summary>
    public double FullFlops(int context) => Config.Layers * BlockFlops(context) + 2.0 * D * Config.VocabSize;

    /// <summary>Resident bytes of the transient tensors of a forward pass over <paramref name="tokens"/> tokens in sequences of <paramref name="context"/>.</summary>
    public long ForwardTransientBytes(long tokens, int context, bool logits) =>
        4 * tokens * (10 * D + 3L * Config.DMlp) + 4 * 2 * (tokens / Math.Max(1, context)) * Config.Heads * (long)context * context
        + (logits ? 4 * 3 * tokens * Config.VocabSize : 0);
}
