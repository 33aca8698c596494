using System.Globalization;
using System.Text.Json.Nodes;
using Runner.Core.IO;
using Runner.Core.Models;
using Runner.Core.Sae;
using Runner.Core.Streaming;
using Runner.Core.Synthetic;
using Runner.Core.Tokenizers;
using Runner.Core.Training;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

// data.store: stream. train runs the model (or the synthetic generator) itself on a producer thread and trains on
// fresh rows through a shuffle buffer; points that share the stream train together from one pass.
public sealed partial class TrainStage
{
    /// <summary>Chunks (shuffle blocks) the producer may finish ahead of the trainers.</summary>
    private const int QueueBlocks = 1;

    /// <summary>Tokens per forward pass of the producer (as capture).</summary>
    private const int TokensPerForward = 4096;

    private static bool Streams(ResolvedPoint point) => point.Spec.Data.Store == DataStore.Stream;

    // Everything that determines the stream (model, data, hook, context, BOS, seed, buffer size, the held-out
    // tokens taken first) plus the SAE. data.tokens and data.activation_dtype are not read in stream mode.
    private static JsonObject StreamSlice(ResolvedPoint point)
    {
        var spec = point.Spec;
        StreamChecks.Check(spec);   // memory and data supply, before anything runs
        var slice = SpecSlices.Take(point.Json, "seed", "sae", "data", "hook", "evaluate.tokens", "model.source", "model.dtype");
        WithoutIdleResample(slice);
        var data = slice["data"]!.AsObject();
        data.Remove("tokens");
        data.Remove("activation_dtype");
        data["shuffle_buffer"] = StreamChecks.BufferRows(spec);   // a default and the same number given hash alike
        if (spec.Data.Synthetic is not null)
        {
            slice.Remove("hook");
            slice.Remove("model");
        }
        else if (spec.Model.Source == ModelSource.Hf) slice["model_fingerprint"] = LanguageModels.Fingerprint(spec.Model);  // toy: pretrain's key
        slice["device_class"] = StageDevice.Class(spec.Device);
        return slice;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> SharedInputs => ["pretrain"];

    /// <inheritdoc/>
    public JsonNode? GroupSlice(ResolvedPoint point)
    {
        if (!Streams(point)) return null;
        // The stream without the SAE and without the hook layer: every point of one model pass, one per hook point.
        var slice = SpecSlices.Without(StreamSlice(point), ExcludedFields)!.AsObject();
        slice.Remove("sae");
        slice.Remove("hook");   // each member's hook point is its own columns of a row
        return slice;
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<GroupOutcome>> RunGroupAsync(IReadOnlyList<StageContext> contexts, CancellationToken cancellationToken) =>
        Task.Run(() => RunStream(contexts, cancellationToken), cancellationToken);

    private static IReadOnlyList<GroupOutcome> RunStream(IReadOnlyList<StageContext> contexts, CancellationToken ct)
    {
        var first = contexts[0];
        var spec = first.Point.Spec;
        var device = StageDevice.Resolve(spec.Device);
        var disposables = new List<IDisposable>();
        try
        {
            // The producer: the synthetic generator after the held-out rows, or the model over the training sequences.
            IRowProducer producer;
            Func<ResolvedPoint, int> offsetOf;
            Func<ResolvedPoint, int> widthOf;
            string source;
            if (spec.Data.Synthetic is { } synthetic)
            {
                var generator = new SyntheticActivations(SpecMapping.Synthetic(synthetic, spec.Seed));
                disposables.Add(generator);
                producer = new SyntheticRowProducer(generator, spec.Evaluate.Tokens);
                offsetOf = _ => 0;
                widthOf = _ => synthetic.DIn;
                source = "synthetic";
            }
            else
            {
                var resolved = LanguageModels.Resolve(first);
                var tokenizer = TokenizerLoader.Load(resolved.Directory);
                var model = LanguageModels.Load(resolved, device, spec.Model.Dtype);
                disposables.Add(model);
                var separator = LanguageModels.Separator(tokenizer, model.Config);
                var toyVocabulary = spec.Model.Source == ModelSource.Toy
                    ? Core.Data.Planted.PlantedVocabulary.Load(Path.Combine(resolved.Directory, ModelCapture.PlantedVocabularyFile))
                    : null;
                // Text files have one stream: capture took the held-out sequences from its start. The planted corpus
                // has a separate held-out stream.
                var skip = spec.Data.Files is null && spec.Data.Jsonl is null ? 0 : (int)StreamChecks.EvalSequences(spec);
                var points = contexts.Select(c => LanguageModels.Point(c.Point.Spec.Hook)).Distinct().OrderBy(p => p.Layer).ThenBy(p => p.Site).ToList();
                var offsets = new Dictionary<HookPoint, int>();
                var at = 0;
                foreach (var p in points) { offsets[p] = at; at += (int)model.SiteWidth(p.Site); }
                producer = new ModelRowProducer(model, points,
                    () => TextSequences.Read(spec, tokenizer, separator, heldOut: false, toyVocabulary).Skip(skip).Select(s => s.Ids),
                    LanguageModels.SpecialTable(tokenizer, model.Config.VocabSize), TokensPerForward, spec.Data.Context);
                offsetOf = p => offsets[LanguageModels.Point(p.Spec.Hook)];
                widthOf = p => (int)model.SiteWidth(LanguageModels.Point(p.Spec.Hook).Site);
                source = $"{resolved.Id ?? resolved.Directory} at {string.Join(", ", points)}";
            }

            // One SAE and trainer per point, each with its own checkpoints and progress.
            var members = new List<StreamMember>();
            var saes = new List<ISparseAutoencoder>();
            foreach (var c in contexts)
            {
                var s = c.Point.Spec;
                var options = SpecMapping.Sae(s.Sae, widthOf(c.Point));
                using var generator = new Generator((ulong)s.Seed);
                var sae = SaeFactory.Create(options, generator, device);
                disposables.Add(sae);
                saes.Add(sae);
                var trainer = new Trainer(sae, SpecMapping.Trainer(s, device));
                disposables.Add(trainer);
                members.Add(new StreamMember
                {
                    Trainer = trainer,
                    Offset = offsetOf(c.Point),
                    Width = options.DIn,
                    Checkpoints = c.CheckpointDirectory is { } dir ? new SafetensorsCheckpointStore(dir) : null,
                    Progress = new Progress(c, s.Sae.Tokens),
                });
            }

            var buffer = StreamChecks.BufferRows(spec);
            var stats = StreamTraining.Run(members, start => ShuffleBuffer.Read(producer, buffer, (ulong)spec.Seed, start, ct),
                () => producer.ComputeSeconds, QueueBlocks, ct);

            var outcomes = new List<GroupOutcome>();
            for (var i = 0; i < contexts.Count; i++)
            {
                var (c, m) = (contexts[i], members[i]);
                if (m.Error is not null)
                {
                    outcomes.Add(new GroupOutcome(null, m.Error));
                    continue;
                }
                try
                {
                    outcomes.Add(new GroupOutcome(Finish(c, saes[i], m, stats, contexts.Count, source, device, ct), null));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    outcomes.Add(new GroupOutcome(null, e));
                }
            }
            return outcomes;
        }
        finally
        {
            for (var i = disposables.Count - 1; i >= 0; i--) disposables[i].Dispose();
        }
    }

    // One member's files and metrics. Its density (sparsity.safetensors) is measured on the held-out rows: no training rows are stored.
    private static StageResult Finish(StageContext context, ISparseAutoencoder sae, StreamMember member, StreamStats stats, int together,
        string source, Device device, CancellationToken ct)
    {
        var result = member.Result!;
        double[] density;
        using (var reader = EvalActivations.Open(context, ct))
        {
            density = reader.DIn == sae.Options.DIn ? Density(sae, reader, device, ct) : new double[sae.Options.DSae];
        }
        WriteOutputs(context, sae, result, density);
        var metrics = Metrics(result, sae.Options, context.Point.Spec.Sae.Resample?.Every is not null);
        var busy = Math.Max(1e-9, stats.Seconds);
        metrics["passes"] = 1;
        metrics["stream_members"] = together;
        metrics["model_seconds"] = stats.ProducerSeconds;
        metrics["sae_seconds"] = member.StepSeconds;
        metrics["wait_seconds"] = stats.WaitSeconds;
        metrics["stream_seconds"] = stats.Seconds;
        metrics["tokens_per_second"] = stats.Rows / busy;
        var limit = stats.ProducerSeconds >= stats.SaeSeconds ? "the model limits" : "the SAE limits";
        var notes = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"streamed {stats.Rows} rows from {source} in {stats.Seconds:F1} s ({stats.Rows / busy:F0} rows/s): model forward {stats.ProducerSeconds:F1} s, SAE steps {stats.SaeSeconds:F1} s ({together} SAE{(together == 1 ? "" : "s")} from one pass), waiting for rows {stats.WaitSeconds:F1} s; {limit}"),
        };
        if (result.Resumed) notes.Add("resumed from a checkpoint");
        return new StageResult { Metrics = metrics, Notes = notes };
    }
}
