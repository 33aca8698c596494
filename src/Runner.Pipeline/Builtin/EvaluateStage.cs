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
/// features. Files: feature_stats.safetensors (per feature: density, max and mean activation, mean
/// when active, max decoder cosine — clamps' multiple_of_max reads max_activation) and
/// density_histogram.json.
/// </summary>
public sealed class EvaluateStage : IStage
{
    /// <inheritdoc/>
    public string Name => "evaluate";

    /// <inheritdoc/>
    public int Version => 1;

    /// <inheritdoc/>
    public IReadOnlyList<string> Inputs => ["capture", "train"];

    /// <inheritdoc/>
    public IReadOnlyList<string> ExcludedFields => [];

    /// <inheritdoc/>
    public JsonNode? SpecSlice(ResolvedPoint point)
    {
        var slice = SpecSlices.Take(point.Json, "evaluate.tokens");
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
        using var reader = ActivationShardReader.Open(Path.Combine(capture, "eval"), new ActivationReadOptions { DType = DType.Float32 });
        using var evaluator = new SaeEvaluator(sae, device);
        var rows = Math.Min(context.Point.Spec.Evaluate.Tokens, reader.Rows);
        long done = 0;
        foreach (var batch in reader.ReadSequential(4096, 0, rows))
        {
            ct.ThrowIfCancellationRequested();
            using (batch) evaluator.Add(batch.Activations);
            done += batch.Count;
            context.Report(done, rows, "rows");
        }
        var m = evaluator.Compute();
        var metrics = new Dictionary<string, double>(m.Scalars(), StringComparer.Ordinal);

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
