using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core.IO;
using Runner.Core.Metrics;
using Runner.Core.Sae;
using Runner.Core.Training;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// train: an SAE on capture's train/ rows (<c>data.store: disk</c>), or on rows it produces itself from the model
/// as it trains (<c>stream</c>, see TrainStage.Stream.cs; several SAEs from one pass). Writes the SAELens v6 folder <c>sae/</c> (weights in
/// raw-activation space, normalization folded; sparsity.safetensors from a density pass over training
/// rows) and the training curves <c>curves.json</c>. Checkpoints go to the stage's checkpoint folder,
/// so a cancelled or killed training resumes where it stopped.
/// </summary>
public sealed partial class TrainStage : IGroupStage
{
    /// <summary>Training rows the density for sparsity.safetensors is measured on.</summary>
    private const long DensityRows = 65_536;

    /// <inheritdoc/>
    public string Name => "train";

    /// <inheritdoc/>
    public int Version => 1;

    /// <inheritdoc/>
    public IReadOnlyList<string> Inputs => ["capture"];

    /// <inheritdoc/>
    public IReadOnlyList<string> ExcludedFields => ["sae.log_every", "sae.checkpoint_every"];

    /// <inheritdoc/>
    public IReadOnlyDictionary<string, string> RunLinks { get; } = new Dictionary<string, string> { ["sae"] = "sae" };

    /// <inheritdoc/>
    public IReadOnlyList<string> InputsFor(ResolvedPoint point) => Streams(point) ? ["capture", "pretrain"] : Inputs;

    /// <inheritdoc/>
    public JsonNode? SpecSlice(ResolvedPoint point)
    {
        if (Streams(point)) return StreamSlice(point);
        var slice = SpecSlices.Take(point.Json, "seed", "sae");
        slice["device_class"] = StageDevice.Class(point.Spec.Device);
        WithoutIdleResample(slice);
        return slice;
    }

    // sae.resample with no `every` changes nothing: left out, so specs without resampling keep the keys they had before it existed.
    private static void WithoutIdleResample(JsonObject slice)
    {
        if (slice["sae"] is JsonObject sae && sae["resample"] is JsonObject resample && resample["every"] is null) sae.Remove("resample");
    }

    /// <inheritdoc/>
    public Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken) => Task.Run(() =>
    {
        if (!Streams(context.Point)) return Run(context, cancellationToken);
        var outcome = RunStream([context], cancellationToken)[0];
        if (outcome.Error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(outcome.Error).Throw();
        return outcome.Result!;
    }, cancellationToken);

    private static StageResult Run(StageContext context, CancellationToken ct)
    {
        var spec = context.Point.Spec;
        var device = StageDevice.Resolve(spec.Device);
        var capture = context.Input("capture").Directory;
        using var reader = ActivationShardReader.Open(Path.Combine(capture, "train"), new ActivationReadOptions { DType = DType.Float32 });
        var options = SpecMapping.Sae(spec.Sae, reader.DIn);
        using var generator = new Generator((ulong)spec.Seed);
        using var sae = SaeFactory.Create(options, generator, device);
        using var trainer = new Trainer(sae, SpecMapping.Trainer(spec, device));
        var store = context.CheckpointDirectory is { } dir ? new SafetensorsCheckpointStore(dir) : null;
        var progress = new Progress(context, spec.Sae.Tokens);
        var result = trainer.Train(reader.AsSource((ulong)spec.Seed), store, progress, ct);
        var density = Density(sae, reader, device, ct);
        WriteOutputs(context, sae, result, density);
        return new StageResult { Metrics = Metrics(result, options, spec.Sae.Resample?.Every is not null), Notes = result.Resumed ? ["resumed from a checkpoint"] : [] };
    }

    // The SAELens folder (with the density as sparsity.safetensors) and curves.json.
    private static void WriteOutputs(StageContext context, ISparseAutoencoder sae, TrainingResult result, double[] density)
    {
        var spec = context.Point.Spec;
        var output = context.OutputDirectory;
        using (var scope = TensorScope.Enter())
        {
            SaeLensFolder.Write(Path.Combine(output, "sae"), sae, new SaeLensMetadata
            {
                ModelName = spec.Data.Synthetic is not null ? "synthetic" : spec.Model.Id ?? spec.Model.Path ?? "toy",
                HookName = spec.Data.Synthetic is not null ? "synthetic" : LanguageModels.TransformerLensHookName(spec.Hook),
                ContextSize = spec.Data.Synthetic is not null ? 1 : spec.Data.Context,
                PrependBos = spec.Data.Bos,
                DatasetPath = spec.Data.Synthetic is not null ? "synthetic" : spec.Data.Corpus?.ToString(),
            }, Tensors.From(density));
        }
        File.WriteAllText(Path.Combine(output, "curves.json"), JsonSerializer.Serialize(result.Curve, Hashing.CanonicalJson.SerializerOptions));
    }

    private static Dictionary<string, double> Metrics(TrainingResult result, SaeOptions options, bool resampling)
    {
        var last = result.Curve.Count > 0 ? result.Curve[^1] : null;
        var metrics = new Dictionary<string, double>
        {
            ["steps"] = result.Steps,
            ["tokens"] = result.Tokens,
            ["d_sae"] = options.DSae,
            ["input_scale"] = result.InputScale,
            ["dead_fraction"] = result.DeadFraction,
        };
        if (last is not null)
        {
            metrics["loss"] = last.Loss;
            metrics["mse"] = last.Mse;
            metrics["l0"] = last.L0;
        }
        if (resampling)
        {
            metrics["resampled_dead"] = result.ResampledDead;
            metrics["resampled_duplicates"] = result.ResampledDuplicates;
        }
        return metrics;
    }

    // Fraction of rows on which each latent fires, over the first training rows (raw space).
    private static double[] Density(ISparseAutoencoder sae, ActivationShardReader reader, Device device, CancellationToken ct)
    {
        using var evaluator = new SaeEvaluator(sae, device);
        evaluator.AddAll(reader.ReadSequential(4096, 0, Math.Min(DensityRows, reader.Rows)), cancellationToken: ct);
        return evaluator.Compute(decoderCosine: false).Density;
    }

    private sealed class Progress(StageContext context, long total) : IProgress<TrainingPoint>
    {
        public void Report(TrainingPoint p) => context.Report(p.Tokens, total, "tokens",
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"loss {p.Loss:G4}, mse {p.Mse:G4}, L0 {p.L0:F1}, dead {p.DeadFraction:P0}"));
    }
}
