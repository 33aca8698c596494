using Runner.Core.Benchmarks;
using Runner.Core.IO;
using Runner.Pipeline.Builtin;
using Runner.Pipeline.Spec;
using Runner.Torch;
using SpecMapping = Runner.Pipeline.Builtin.SpecMapping;

namespace Runner.Pipeline.Estimates;

/// <summary>
/// Estimates what computing a stage of a point costs, from the spec alone (shapes, token counts, dtypes) and
/// this machine's <see cref="CalibrationFigures"/>: the disk its cache entry takes (the capture's shard layout
/// is computed as <see cref="ActivationShardWriter"/> lays it out), peak resident memory (runtime, weights,
/// optimizer state, the largest transient tensors, the shard writer's buffer) and wall time (FLOPs and
/// width-proportional work at the calibrated rates). Without a calibration, times are null. Stages it does not
/// know cost nothing but the runtime's memory.
/// </summary>
public sealed class CostModel
{
    /// <summary>Resident memory assumed for the runtime when no calibration says (measured: 150-200 MB).</summary>
    public const long DefaultBaseRss = 180L << 20;

    // Writing shards to the page cache and hashing them for the manifest (SHA-256 ~1.7 GB/s here), per byte.
    private const double SecondsPerWrittenByte = 1.0 / 1.5e9 + 1.0 / 1.7e9;
    // Host work per token outside libtorch: generating or reading and packing the text, labels, the special-token
    // filter (not calibrated; ~3 µs measured with golden-gate-mini's capture).
    private const double HostSecondsPerToken = 3e-6;
    // Tokens per forward pass of capture (ModelCapture.TokensPerBatch) and of evaluation (ModelEvaluation).
    private const int CaptureTokens = 4096;
    private const int EvaluationTokens = 1024;

    private readonly CalibrationFigures? _figures;

    /// <summary>A cost model at <paramref name="figures"/>' speeds (null: disk and memory only).</summary>
    public CostModel(CalibrationFigures? figures) => _figures = figures;

    private long Base => _figures?.BaseRssBytes ?? DefaultBaseRss;

    /// <summary>The estimate of <paramref name="stage"/> for <paramref name="point"/>.</summary>
    public ResourceEstimate Estimate(string stage, ResolvedPoint point)
    {
        var spec = point.Spec;
        var model = ModelShape.For(spec);
        return stage switch
        {
            "pretrain" when model is not null => Pretrain(spec, model),
            "capture" => Capture(point, model),
            "train" when !StoresShards(spec) => StreamedTrain(point, model),
            "train" => Train(spec, DIn(spec, model)),
            "evaluate" => Evaluate(spec, model, DIn(spec, model)),
            "steer" when model is not null => Steer(spec, model, DIn(spec, model)),
            _ when stage.StartsWith("hooks", StringComparison.Ordinal) => Hooks(spec, model, DIn(spec, model), stage),
            _ => new ResourceEstimate(0, Base, _figures is null ? null : 0),
        };
    }

    /// <summary>Bytes the capture of <paramref name="point"/> writes: its shards, indexes, the synthetic truth and the manifest.</summary>
    public static long CaptureDiskBytes(ResolvedPoint point) => CaptureLayout(point.Spec, ModelShape.For(point.Spec)).Bytes;

    /// <summary>
    /// Whether the point's capture writes training shards: not with <c>data.store: stream</c>, where train produces its
    /// rows from the model (its memory and time then belong to train's estimate) and capture writes the eval set only.
    /// </summary>
    public static bool StoresShards(ExperimentSpec spec) => spec.Data.Store != DataStore.Stream;

    private static int DIn(ExperimentSpec spec, ModelShape? model) =>
        spec.Data.Synthetic?.DIn ?? model!.SiteWidth(spec.Hook);

    private static long EvalRows(ExperimentSpec spec) =>
        spec.Data.Synthetic is not null ? spec.Evaluate.Tokens : (spec.Evaluate.Tokens + spec.Data.Context - 1) / spec.Data.Context * spec.Data.Context;

    private static long SaeParameters(ExperimentSpec spec, int dIn) => 2L * dIn * DSae(spec, dIn) + DSae(spec, dIn) + dIn;

    private static int DSae(ExperimentSpec spec, int dIn) => SpecMapping.Sae(spec.Sae, dIn).DSae;

    // ---- stages -------------------------------------------------------------------------------------------

    private ResourceEstimate Pretrain(ExperimentSpec spec, ModelShape model)
    {
        var toy = spec.Model.Toy ?? new ToyModelSpec();
        var batchTokens = (long)toy.BatchSize * toy.Context;
        var disk = 4 * model.Parameters + (64L << 10) + 64L * toy.Steps;         // model.safetensors, tokenizer files, curves.json
        var memory = Base + 4 * 4 * model.Parameters                              // weights, gradients, AdamW's two moments
            + 2 * model.ForwardTransientBytes(batchTokens, toy.Context, logits: true) * toy.Layers   // kept for backward
            + 8 * toy.Tokens;                                                     // the generated corpus (ids and topics)
        // Training ≈ 3 forward passes (forward, backward for activations and for weights); the held-out loss is small.
        var seconds = Time(f => 3 * toy.Steps * batchTokens * Forward(f, model.FullFlops(toy.Context), model.Config.Layers + 1, batchTokens, 1, model, toy.Context)
            + HostSecondsPerToken * toy.Tokens);
        return new ResourceEstimate(disk, memory, seconds);
    }

    private ResourceEstimate Capture(ResolvedPoint point, ModelShape? model)
    {
        var spec = point.Spec;
        var layout = CaptureLayout(spec, model);
        var largestBuffer = Math.Max(layout.EvalBuffer, layout.TrainBuffer);
        if (spec.Data.Synthetic is { } synthetic)
        {
            var rows = spec.Data.Tokens + spec.Evaluate.Tokens;
            var memory = Base + largestBuffer + 4L * synthetic.Features * synthetic.DIn + 3 * 4L * 4096 * (synthetic.Features + synthetic.DIn);
            var seconds = Time(f => rows * (2.0 * synthetic.Features * synthetic.DIn / (f.ForwardGflops * 1e9) + synthetic.Features * 5e-9)
                + layout.Bytes * SecondsPerWrittenByte);
            return new ResourceEstimate(layout.Bytes, memory, seconds);
        }
        var m = model!;
        var context = spec.Data.Context;
        // Rows of special tokens are not kept in train/: with BOS, one token of every sequence is read and dropped.
        var trainTokens = spec.Data.Bos ? (long)Math.Ceiling(spec.Data.Tokens * (double)context / Math.Max(1, context - 1)) : spec.Data.Tokens;
        var tokens = EvalRows(spec) + trainTokens;
        var weightBytes = m.Parameters * (spec.Model.Dtype == Precision.Bfloat16 ? 2 : 4);
        // Loading maps the checkpoint (resident while the weights are copied out) and the allocator keeps what a batch's
        // forward pass freed for the next one: weights twice, transients twice (GPT-2 small measured 2.4 GB).
        var memoryBytes = Base + 4 * m.Parameters + weightBytes + 2 * m.ForwardTransientBytes(CaptureTokens, context, logits: false) + largestBuffer
            + 48L * m.Config.VocabSize * 16;   // the tokenizer's tables
        var time = Time(f => tokens * (HostSecondsPerToken + Forward(f, m.FlopsTo(spec.Hook, context), spec.Hook.Layer + 1, CaptureTokens, spec.Model.Dtype == Precision.Bfloat16 ? f.Bf16Speedup : 1, m, context))
            + layout.Bytes * SecondsPerWrittenByte);
        return new ResourceEstimate(layout.Bytes, memoryBytes, time);
    }

    // data.store: stream: the SAE steps of a stored run, reading no shards, next to a producer that computes sae.tokens
    // rows as capture would (overlapped: the slower side sets the pace) and the shuffle buffer's blocks in flight.
    private ResourceEstimate StreamedTrain(ResolvedPoint point, ModelShape? model)
    {
        var spec = point.Spec;
        var dIn = DIn(spec, model);
        var sae = Train(spec, dIn);
        var asCapture = spec with { Data = spec.Data with { Store = DataStore.Disk, Tokens = spec.Sae.Tokens } };
        var producer = Capture(point with { Spec = asCapture }, model);
        var buffer = (long)StreamChecks.BlocksInFlight * StreamChecks.BufferRows(spec) * dIn * sizeof(float);
        var seconds = sae.Seconds is { } a && producer.Seconds is { } b ? Math.Max(a, b - producer.DiskBytes * SecondsPerWrittenByte) : (double?)null;
        return new ResourceEstimate(sae.DiskBytes, sae.MemoryBytes + producer.MemoryBytes - Base + buffer, seconds);
    }

    private ResourceEstimate Train(ExperimentSpec spec, int dIn)
    {
        var dSae = DSae(spec, dIn);
        var parameters = SaeParameters(spec, dIn);
        var batch = (long)spec.Sae.BatchSize;
        var steps = (spec.Sae.Tokens + batch - 1) / batch;
        var disk = 4 * parameters + 4L * dSae + 4096 + 160 * (steps / Math.Max(1, spec.Sae.LogEvery) + 1);   // weights, sparsity, cfg.json, curves
        var storage = SpecMapping.StorageDType(spec.Data.ActivationDtype).ElementSize();
        var sample = Math.Min(32_768, spec.Sae.Tokens);     // TrainerOptions.InitSampleRows: the init sample, then its concatenation
        var memory = Base + 4 * 4 * parameters            // weights, gradients, Adam's moments
            + Math.Max(
                4 * batch * (6L * dSae + 8L * dIn)        // a step's activations and their gradients
                + 5 * batch * (dIn * (long)storage + 16), // prefetched batches (ActivationReadOptions.Prefetch + 1)
                Math.Max(
                    2 * 4 * sample * dIn,                 // the init sample and its concatenation (b_dec, input scale)
                    4096L * (9L * dIn + 3L * dSae) * 4)); // the density pass after training: 4096-row float32 batches, 4 prefetched
        var mapped = spec.Data.Tokens * ((long)dIn * storage + 16);
        var bf16 = spec.Sae.Dtype == Precision.Bfloat16;
        var seconds = Time(f => steps * (f.SaeSecondsPerStep + batch * 12.0 * dIn * dSae / (f.SaeGflops * 1e9 * (bf16 ? Math.Min(f.Bf16Speedup, 2.2) : 1))));
        return new ResourceEstimate(disk, memory, seconds, mapped);
    }

    private ResourceEstimate Evaluate(ExperimentSpec spec, ModelShape? model, int dIn)
    {
        var dSae = DSae(spec, dIn);
        var rows = EvalRows(spec);
        var storage = SpecMapping.StorageDType(spec.Data.ActivationDtype).ElementSize();
        var window = 2L * spec.Evaluate.ExampleWindow + 1;
        var disk = 6 * 4L * dSae + 4096 + (model is null ? 0 : spec.Evaluate.TopFeatures * spec.Evaluate.TopExamples * (window * 24 + 96));   // top examples need tokens
        var ceLoss = model is not null && spec.Evaluate.CeLoss != false;
        var memory = Base + 4 * SaeParameters(spec, dIn) + 4 * 3L * 4096 * dSae
            + (model is null ? 0 : 2 * 4 * model.Parameters + (ceLoss ? 3 * model.ForwardTransientBytes(EvaluationTokens, spec.Data.Context, logits: true) : 0));
        var seconds = Time(f =>
        {
            // The SAE encodes the held-out rows for the metrics, the top examples and (with ground truth) topic matching.
            var sae = 3 * rows * 4.0 * dIn * dSae / (f.ForwardGflops * 1e9);
            var passes = ceLoss ? 3 * rows * Forward(f, model!.FullFlops(spec.Data.Context), model.Config.Layers + 1, EvaluationTokens, spec.Model.Dtype == Precision.Bfloat16 ? f.Bf16Speedup : 1, model, spec.Data.Context) : 0;
            var matching = spec.Data.Synthetic is { } s ? Math.Pow(Math.Max(s.Features, dSae), 3) * 2e-9 : 0;   // Hungarian matching for mcc
            return sae + passes + matching;
        });
        return new ResourceEstimate(disk, memory, seconds, rows * ((long)dIn * storage + 16));
    }

    private ResourceEstimate Steer(ExperimentSpec spec, ModelShape model, int dIn)
    {
        var steer = spec.Steer;
        var topicPrompts = steer.TopicPrompts?.Count ?? 0;
        int Prompts(PromptSet set) => set == PromptSet.TopicPrompts ? topicPrompts : steer.Prompts.Count;
        var settings = new List<int> { steer.Prompts.Count };                           // baseline
        settings.AddRange(steer.Clamps.Select(c => Prompts(c.On)));
        if (steer.Ablate.Count > 0) settings.Add(Prompts(steer.AblateOn));
        if (steer.Clamps.Any(c => c.On == PromptSet.TopicPrompts) || steer.Ablate.Count > 0 && steer.AblateOn == PromptSet.TopicPrompts)
            settings.Add(topicPrompts);                                                   // baseline on the topic prompts
        if (steer.Clamps.Count == 0 && steer.Ablate.Count == 0) return new ResourceEstimate(0, Base, _figures is null ? null : 0);
        var g = steer.Generate;
        var steps = (long)settings.Sum() * g.Tokens;                                      // one step per new token, samples batched
        var tokens = steps * g.Samples;
        var disk = tokens * 40 + (long)settings.Sum() * g.Samples * 400;                  // completions.jsonl: ids, pieces, log-probs
        var memory = Base + 2 * 4 * model.Parameters + 4 * SaeParameters(spec, dIn) + model.ForwardTransientBytes(g.Samples * 64L, 64, logits: true);
        // A generation step is one batch of `samples` tokens through every layer, the unembedding, sampling and the clamp.
        var seconds = Time(f => tokens * Forward(f, model.FullFlops(64), model.Config.Layers + 2, g.Samples, 1, model, 64));
        return new ResourceEstimate(disk, memory, seconds);
    }

    private ResourceEstimate Hooks(ExperimentSpec spec, ModelShape? model, int dIn, string stage)
    {
        var when = stage switch
        {
            "hooks_after_train" => HookWhen.AfterTrain,
            "hooks_after_evaluate" => HookWhen.AfterEvaluate,
            "hooks_after_steer" => HookWhen.AfterSteer,
            _ => HookWhen.End,
        };
        var scripts = spec.Hooks.Count(h => h.When == when);
        // Scripts are user code: only their compile (~2 s for the first of a process, 0.4 s each after) is modelled.
        // FSharp.Compiler.Service, loaded for the first script of a process, holds ~450 MB (measured with golden-gate-mini).
        var memory = Base + 4 * SaeParameters(spec, dIn) + (model is null ? 0 : 4 * model.Parameters) + (450L << 20);
        return new ResourceEstimate(64L * 1024 * scripts, memory, _figures is null ? null : 1.6 + 0.8 * scripts);
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    // Every stage also opens its inputs, writes and hashes a manifest and publishes: a few tenths of a second.
    private const double StageSeconds = 0.3;

    private double? Time(Func<CalibrationFigures, double> seconds) => _figures is { } f ? Math.Round(StageSeconds + seconds(f), 2) : null;

    // Seconds per token of a forward pass in batches of `batch` tokens: matmuls at the calibrated rate (faster in bf16)
    // plus each layer's fixed cost shared by the batch.
    private static double Forward(CalibrationFigures f, double flops, int layers, long batch, double precision, ModelShape model, int context) =>
        flops / (f.ForwardGflops * 1e9 * precision) + f.ForwardSecondsPerLayer * layers / Math.Max(1, batch)
        + f.ForwardSecondsPerElement * layers * MachineCalibrator.ElementwisePerLayer(model.Config.DModel, model.Config.DMlp, model.Config.Heads, context);

    private readonly record struct Layout(long Bytes, long EvalBuffer, long TrainBuffer);

    // The capture's files as the stage writes them: eval/ (whole sequences, seq length = context; synthetic: rows),
    // train/ (data.tokens rows), truth.safetensors for synthetic data, and the manifest.
    private static Layout CaptureLayout(ExperimentSpec spec, ModelShape? model)
    {
        var dtype = SpecMapping.StorageDType(spec.Data.ActivationDtype);
        var synthetic = spec.Data.Synthetic;
        var labels = synthetic is null && spec.Model.Source == ModelSource.Toy;
        var metadata = new Dictionary<string, string> { ["metadata"] = new string('x', synthetic is null ? 200 : 16) };
        var width = DIn(spec, model);
        var eval = new ActivationShardOptions
        {
            DIn = width, DType = dtype, Labels = labels, Metadata = metadata,
            SequenceLength = synthetic is null ? spec.Data.Context : 1,
        };
        var train = eval with { SequenceLength = 1 };
        var evalRows = EvalRows(spec);
        // stream with a model: eval_ids.safetensors only (int64 token ids, and topic labels for the planted corpus);
        // evaluate recomputes the rows from the model.
        if (!StoresShards(spec) && synthetic is null)
            return new Layout(evalRows * (labels ? 16 : 8) + 4096, 0, 0);
        var trainRows = StoresShards(spec) ? spec.Data.Tokens : 0;
        var bytes = ActivationShardWriter.EstimateBytes(eval, evalRows) + ActivationShardWriter.EstimateBytes(train, trainRows);
        var files = 2 + Shards(eval, evalRows) + Shards(train, trainRows);
        if (synthetic is not null)
        {
            bytes += 4L * synthetic.Features * synthetic.DIn + 256;
            files++;
        }
        bytes += 1024 + 200L * files;   // manifest.json: one entry per file
        return new Layout(bytes, Buffer(eval, evalRows), Buffer(train, trainRows));
    }

    private static long Shards(ActivationShardOptions options, long rows) =>
        (rows + ActivationShardWriter.RowsPerShardFor(options) - 1) / ActivationShardWriter.RowsPerShardFor(options);

    // The writer's pending buffer grows by doubling up to one shard; while it grows the old and new buffers coexist.
    private static long Buffer(ActivationShardOptions options, long rows) =>
        2 * Math.Min(rows, ActivationShardWriter.RowsPerShardFor(options)) * ActivationShardWriter.RowBytes(options);
}
