using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core.IO;
using Runner.Core.Metrics;
using Runner.Core.Sae;
using Runner.Core.Synthetic;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// evaluate: the trained SAE (loaded back from its SAELens folder, so what is measured is what was
/// exported) on capture's held-out eval/ rows, in raw-activation space. Metrics: reconstruction (MSE,
/// normalized MSE, explained variance, FVU), sparsity (L0, L1, dead and dense fractions, mean log10
/// density), shrinkage, decoder cosine; with synthetic data also MMCS and MCC against the true
/// features; with an hf model CE loss and KL with the SAE spliced in and top_examples.json (see
/// <see cref="ModelEvaluation"/>; special-token rows are left out of every metric). Files: feature_stats.safetensors (per feature: density, max and mean activation, mean
/// when active, max decoder cosine — clamps' multiple_of_max reads max_activation) and
/// density_histogram.json.
/// </summary>
public sealed class EvaluateStage : IStage
{
    /// <inheritdoc/>
    public string Name => "evaluate";

    /// <inheritdoc/>
    public int Version => 4;   // 4: evaluate.decoder_pairs_above_0_95

    /// <inheritdoc/>
    public IReadOnlyList<string> Inputs => ["capture", "train", "pretrain"];

    /// <inheritdoc/>
    public IReadOnlyList<string> ExcludedFields => [];

    /// <inheritdoc/>
    public JsonNode? SpecSlice(ResolvedPoint point)
    {
        var slice = SpecSlices.Take(point.Json, "evaluate", "model.dtype");
        slice["device_class"] = StageDevice.Class(point.Spec.Device);
        return slice;
    }

    /// <inheritdoc/>
    public Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken) =>
        Task.Run(() => Run(context, cancellationToken), cancellationToken);

    private static StageResult Run(StageContext context, CancellationToken ct)
    {
        var device = StageDevice.Resolve(context.Point.Spec.Device);
        var capture = context.Input("capture").Directory;
        using var saved = SaeLensFolder.Load(Path.Combine(context.Input("train").Directory, "sae"));
        using var sae = SaeFactory.FromSaeLens(saved.Config.Architecture, saved.Config.K, saved.Weights, device);
        using var reader = EvalActivations.Open(context, ct);   // stream mode: recomputed from the eval token ids
        using var evaluator = new SaeEvaluator(sae, device);
        var spec = context.Point.Spec;
        var fromModel = reader.Index.Metadata.GetValueOrDefault("source") == "model";
        var resolved = fromModel ? LanguageModels.Resolve(context) : null;
        var tokenizer = resolved is null ? null : Core.Tokenizers.TokenizerLoader.Load(resolved.Directory);
        using var model = resolved is not null && spec.Evaluate.CeLoss ? LanguageModels.Load(resolved, device, spec.Model.Dtype) : null;
        var special = tokenizer is null ? null : LanguageModels.SpecialTable(tokenizer, model?.Config.VocabSize ?? tokenizer.VocabSize);
        using var specialTable = special is null ? null : Tensors.From(special);
        var rows = fromModel ? reader.Rows : Math.Min(spec.Evaluate.Tokens, reader.Rows);
        var ids = new long[fromModel ? rows : 0];
        long done = 0;
        foreach (var batch in reader.ReadSequential(4096, 0, rows))
        {
            ct.ThrowIfCancellationRequested();
            using (batch)
            using (var scope = TensorScope.Enter())
            {
                if (specialTable is null) evaluator.Add(batch.Activations);
                else
                {
                    var tok = batch.TokenIds!.To(DType.Int64);
                    tok.CopyTo<long>(ids.AsSpan((int)done, (int)batch.Count));
                    var keep = specialTable.IndexSelect(0, tok).LogicalNot();
                    evaluator.Add(batch.Activations.IndexSelect(0, Tensors.Arange(batch.Count).MaskedSelect(keep)));
                }
            }
            done += batch.Count;
            context.Report(done, rows, "rows");
        }
        var m = evaluator.Compute();
        var metrics = new Dictionary<string, double>(m.Scalars(), StringComparer.Ordinal);
        if (model is not null)
        {
            var splice = ModelEvaluation.SpliceMetrics(model, sae, LanguageModels.Point(spec.Hook), ids, reader.SequenceLength, special!, device,
                (d, t) => context.Report(d, t, "sequences"), ct);
            foreach (var (k, v) in splice) metrics[k] = v;
        }
        if (reader.HasLabels && resolved is not null)
        {
            var vocabulary = Core.Data.Planted.PlantedVocabulary.Load(Path.Combine(resolved.Directory, ModelCapture.PlantedVocabularyFile));
            foreach (var (k, v) in TopicEvaluation.Run(context.OutputDirectory, sae, reader, vocabulary, spec.Evaluate.TopicPrecision, device, ct)) metrics[k] = v;
        }
        if (tokenizer is not null)
            ModelEvaluation.TopExamples(Path.Combine(context.OutputDirectory, "top_examples.json"), sae, reader, ids, tokenizer, special!,
                m.MaxActivation, m.Density, spec.Evaluate.TopFeatures, spec.Evaluate.TopExamples, spec.Evaluate.ExampleWindow, device, ct);

        var truth = Path.Combine(capture, "truth.safetensors");
        if (File.Exists(truth))
        {
            using var scope = TensorScope.Enter();
            using var file = SafetensorsFile.Open(truth);
            var features = file.Read("features");
            var decoder = saved.Weights["W_dec"];
            metrics["mmcs"] = FeatureRecovery.Mmcs(features, decoder);
            metrics["mcc"] = FeatureRecovery.Mcc(features, decoder).Mcc;
        }

        var output = context.OutputDirectory;
        using (var scope = TensorScope.Enter())
        {
            SafetensorsWriter.Write(Path.Combine(output, "feature_stats.safetensors"), new Dictionary<string, Tensor>
            {
                ["density"] = Tensors.From(m.Density),
                ["max_activation"] = Tensors.From(m.MaxActivation),
                ["mean_activation"] = Tensors.From(m.MeanActivation),
                ["mean_activation_when_active"] = Tensors.From(m.MeanActivationWhenActive),
                ["max_decoder_cosine"] = Tensors.From(m.MaxDecoderCosine),
            });
        }
        File.WriteAllText(Path.Combine(output, "density_histogram.json"), JsonSerializer.Serialize(m.DensityHistogram, Hashing.CanonicalJson.SerializerOptions));
        return new StageResult { Metrics = metrics };
    }
}
