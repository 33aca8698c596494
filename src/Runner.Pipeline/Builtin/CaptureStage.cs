using System.Globalization;
using System.Text.Json.Nodes;
using Runner.Core.IO;
using Runner.Core.Synthetic;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// capture: the activations an SAE trains and is evaluated on, as shard datasets —
/// <c>train/</c> (data.tokens rows) and <c>eval/</c> (evaluate.tokens rows, disjoint from train). With
/// <c>data.store: stream</c> no train/ (train produces its rows itself), and with a model no eval/ either: only the eval
/// token ids and topics (<see cref="EvalActivations"/> recomputes the rows from them).
/// Sources: <c>data.synthetic</c> (known true features, saved as truth.safetensors [features, d_in]),
/// or an hf model's hook point over text data (see <see cref="ModelCapture"/>: eval/ holds whole sequences,
/// train/ the rows of non-special tokens). The key of a model capture includes the checkpoint's fingerprint,
/// so changed weights re-capture while a moved folder does not.
/// </summary>
public sealed class CaptureStage : IStage
{
    /// <summary>Rows generated or captured per step.</summary>
    private const int Block = 4096;

    /// <inheritdoc/>
    public string Name => "capture";

    /// <inheritdoc/>
    public int Version => 2;

    /// <inheritdoc/>
    public IReadOnlyList<string> Inputs => ["pretrain"];

    /// <inheritdoc/>
    public IReadOnlyList<string> ExcludedFields => [];

    /// <inheritdoc/>
    public bool AppliesTo(ResolvedPoint point) => true;

    /// <inheritdoc/>
    public JsonNode? SpecSlice(ResolvedPoint point)
    {
        if (point.Spec.Data.Synthetic is not null) return StreamOnlyEval(point, SpecSlices.Take(point.Json, "seed", "data", "evaluate.tokens"));
        var slice = StreamOnlyEval(point, SpecSlices.Take(point.Json, "seed", "data", "evaluate.tokens", "hook", "model.source", "model.dtype"));
        LanguageModels.CheckShape(point.Spec);   // hook.layer and data.context against config.json, before anything runs
        if (point.Spec.Model.Source == ModelSource.Hf) slice["model_fingerprint"] = LanguageModels.Fingerprint(point.Spec.Model); // toy: pretrain's key covers it
        slice["device_class"] = StageDevice.Class(point.Spec.Device);
        if (point.Spec.Data.Store == DataStore.Stream) slice["eval_store"] = "ids";   // stream: eval token ids only (EvalActivations)
        return slice;
    }

    // data.store stream: capture writes the held-out set only, so the training-side keys do not concern it. disk: the
    // keys stream mode added are left out, so disk captures keep the keys they had before streaming existed.
    private static JsonObject StreamOnlyEval(ResolvedPoint point, JsonObject slice)
    {
        var data = slice["data"]!.AsObject();
        data.Remove("shuffle_buffer");
        if (point.Spec.Data.Store == DataStore.Stream) data.Remove("tokens");
        else data.Remove("store");
        return slice;
    }

    /// <inheritdoc/>
    public Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken) =>
        Task.Run(() => context.Point.Spec.Data.Synthetic is null ? ModelCapture.Run(context, cancellationToken) : Run(context, cancellationToken), cancellationToken);

    private static StageResult Run(StageContext context, CancellationToken ct)
    {
        var spec = context.Point.Spec;
        var synthetic = spec.Data.Synthetic ?? throw new Core.RunnerException("capture: only data.synthetic is supported until the models issue lands");
        using var source = new SyntheticActivations(SpecMapping.Synthetic(synthetic, spec.Seed));
        var dtype = SpecMapping.StorageDType(spec.Data.ActivationDtype);
        // stream: the held-out rows come first and train streams the rows after them; disk: train/ first, then eval/.
        var stream = spec.Data.Store == DataStore.Stream;
        var trainRows = stream ? 0 : spec.Data.Tokens;
        var total = trainRows + spec.Evaluate.Tokens;
        if (!stream) Write(context, source, "train", 0, trainRows, dtype, total, ct);
        Write(context, source, "eval", trainRows, spec.Evaluate.Tokens, dtype, total, ct);
        using (var scope = TensorScope.Enter())
            SafetensorsWriter.Write(Path.Combine(context.OutputDirectory, "truth.safetensors"),
                new Dictionary<string, Tensor> { ["features"] = source.Features.Cpu() },
                new Dictionary<string, string> { ["source"] = "synthetic", ["frequency"] = synthetic.Frequency.ToString("R", CultureInfo.InvariantCulture) });
        return new StageResult
        {
            Metrics = new Dictionary<string, double>
            {
                ["rows"] = trainRows,
                ["eval_rows"] = spec.Evaluate.Tokens,
                ["d_in"] = synthetic.DIn,
                ["true_features"] = synthetic.Features,
                ["true_l0"] = source.ExpectedL0,
            },
        };
    }

    // Rows [start, start + rows) of the source's stream into a shard dataset in <output>/<name>.
    private static void Write(StageContext context, SyntheticActivations source, string name, long start, long rows, DType dtype, long total, CancellationToken ct)
    {
        using var writer = ActivationShardWriter.Create(Path.Combine(context.OutputDirectory, name), new ActivationShardOptions
        {
            DIn = source.Options.DIn,
            DType = dtype,
            SequenceLength = 1,
            Metadata = new Dictionary<string, string> { ["source"] = "synthetic" },
        });
        long done = 0;
        foreach (var batch in source.Read(start, Block))
        {
            using (batch)
            using (var scope = TensorScope.Enter())
            {
                ct.ThrowIfCancellationRequested();
                var take = (int)Math.Min(Block, rows - done);
                var acts = batch.Activations.Narrow(0, 0, take).To(dtype);
                var ids = Tensors.Full([take], -1L, DType.Int64); // no tokens: synthetic rows
                writer.Append(acts, ids);
                done += take;
            }
            context.Report(start + done, total, "rows");
            if (done >= rows) break;
        }
        writer.Complete();
    }
}
