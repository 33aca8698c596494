using Runner.Core;
using Runner.Core.Generation;
using Runner.Core.Models;
using Runner.Core.Steering;
using Runner.Core.Tokenizers;
using Runner.Pipeline.Builtin;
using Runner.Pipeline.Spec;
using Runner.Torch;

namespace Runner.Pipeline.Hooks;

// The language model and tokenizer, for runs that have one (toy or hf; not synthetic activations).
public sealed partial class HookContext
{
    private ITokenizer? _tokenizer;
    private TransformerModel? _model;

    /// <summary>True when the run has a language model (and so a tokenizer).</summary>
    public bool HasModel => _stage.Point.Spec.Data.Synthetic is null && (_stage.Point.Spec.Model.Source != ModelSource.Toy || Has("pretrain"));

    /// <summary>The model's tokenizer; a RunnerException when the run has no model.</summary>
    public ITokenizer Tokenizer => _tokenizer ??= TokenizerLoader.Load(ModelFolder());

    /// <summary>The language model (CPU, float32), loaded on first use; a RunnerException when the run has no model.</summary>
    public TransformerModel Model => _model ??= TransformerModel.Load(ModelFolder(), Device.Cpu, DType.Float32);

    /// <summary>Token ids of <paramref name="text"/> (no BOS added).</summary>
    public int[] Tokenize(string text) => Tokenizer.Encode(text);

    /// <summary>The text of token <paramref name="id"/>.</summary>
    public string Token(int id) => Tokenizer.Piece(id);

    /// <summary>The text of <paramref name="ids"/>.</summary>
    public string Decode(int[] ids) => Tokenizer.Decode(ids);

    /// <summary>
    /// Generates <paramref name="maxTokens"/> tokens after <paramref name="prompt"/> (BOS first when the
    /// spec's data.bos is on), greedily unless <paramref name="temperature"/> is given, with the
    /// <paramref name="clamps"/> applied through the SAE at the spec's hook (error term preserved);
    /// returns the generated text.
    /// <example><code>ctx.Generate("&lt;doc&gt; the", 20, [| FeatureClamp(7, ClampMode.Value, 8.0) |])</code></example>
    /// </summary>
    public string Generate(string prompt, int maxTokens = 30, FeatureClamp[]? clamps = null, double? temperature = null, ulong seed = 0)
    {
        var model = Model;
        var ids = LanguageModels.PromptIds(Tokenizer, model.Config, prompt, _stage.Point.Spec.Data.Bos);
        var hooks = clamps is { Length: > 0 }
            ? new Dictionary<HookPoint, ActivationHook> { [LanguageModels.Point(_stage.Point.Spec.Hook)] = SaeHooks.Clamp(Sae.Model, clamps, PositionFilter.All, ids.Length) }
            : null;
        var sampler = new TokenSampler(new SamplingOptions { Greedy = temperature is null, Temperature = temperature ?? 1.0 }, seed);
        using var scope = TensorScope.Enter();
        var result = TextGenerator.Generate(model, ids, 1, maxTokens, sampler, hooks, Tokenizer.EosId);
        return Tokenizer.Decode(result.Tokens[0]);
    }

    private string ModelFolder()
    {
        if (!HasModel) throw new RunnerException($"this run has no language model (synthetic activations)");
        return _stage.Point.Spec.Model.Source == ModelSource.Toy
            ? Path.Combine(StageDirectory("pretrain"), LanguageModels.ToyModelFolder)
            : LanguageModels.Resolve(_stage.Point.Spec.Model).Directory;
    }

    private void DisposeModel() => _model?.Dispose();
}
