using System.Diagnostics;
using System.Globalization;
using Runner.Core;
using Runner.Core.IO;
using Runner.Core.Models;
using Runner.Core.Tokenizers;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// capture for an hf model: text is packed into sequences (<see cref="TextSequences"/>), the model runs only up
/// to the hooked layer (<see cref="TransformerModel.RunTo"/>), and activations go to two shard datasets:
/// <c>eval/</c> first, whole sequences (evaluate.tokens rounded up to sequences; sequence length = data.context,
/// so evaluation can splice the SAE into the same contexts), then <c>train/</c>, exactly data.tokens rows of
/// non-special tokens (BOS/EOS rows are left out of training as SAELens's exclude_special_tokens does).
/// With <c>data.store: stream</c> neither: only the eval sequences' token ids and topics (<see cref="EvalActivations"/>).
/// </summary>
internal static class ModelCapture
{
    /// <summary>Tokens per forward pass.</summary>
    private const int TokensPerBatch = 4096;

    public static StageResult Run(StageContext context, CancellationToken ct)
    {
        var spec = context.Point.Spec;
        var device = StageDevice.Resolve(spec.Device);
        var resolved = LanguageModels.Resolve(context);
        var tokenizer = TokenizerLoader.Load(resolved.Directory);
        using var model = LanguageModels.Load(resolved, device, spec.Model.Dtype);
        var point = LanguageModels.Point(spec.Hook);
        var separator = LanguageModels.Separator(tokenizer, model.Config);
        var special = LanguageModels.SpecialTable(tokenizer, model.Config.VocabSize);
        var context_ = spec.Data.Context;   // checked against the model at planning (LanguageModels.CheckShape, SpecChecks for toy)

        var width = (int)model.SiteWidth(point.Site);
        var dtype = SpecMapping.StorageDType(spec.Data.ActivationDtype);
        var metadata = new Dictionary<string, string>
        {
            ["source"] = "model",
            ["model"] = resolved.Id ?? resolved.Directory,
            ["model_revision"] = resolved.Revision ?? "",
            ["model_type"] = model.Config.ModelType,
            ["hook"] = point.ToString(),
            ["context"] = context_.ToString(CultureInfo.InvariantCulture),
            ["bos"] = spec.Data.Bos && separator is { } s ? s.ToString(CultureInfo.InvariantCulture) : "",
        };
        var evalSequences = (spec.Evaluate.Tokens + context_ - 1) / context_;
        var batchSequences = SequencesPerBatch(context_);
        var stream = spec.Data.Store == Spec.DataStore.Stream;   // eval/ only: train streams its rows
        var total = evalSequences * context_ + (stream ? 0 : spec.Data.Tokens);
        var watch = Stopwatch.StartNew();
        long processed = 0;

        // The toy model reads the planted corpus's word ids (with topic labels); its vocabulary is saved with it.
        var toyVocabulary = spec.Model.Source == Spec.ModelSource.Toy
            ? Core.Data.Planted.PlantedVocabulary.Load(Path.Combine(resolved.Directory, PlantedVocabularyFile))
            : null;
        var labels = toyVocabulary is not null;
        var planted = spec.Data.Files is null && spec.Data.Jsonl is null;
        using var evalSequences_ = TextSequences.Read(spec, tokenizer, separator, heldOut: true, toyVocabulary).GetEnumerator();
        using var trainSequences = planted ? TextSequences.Read(spec, tokenizer, separator, heldOut: false, toyVocabulary).GetEnumerator() : null;
        var sequences = evalSequences_;
        using var specialTable = Tensors.From(special).To(device);

        // eval/: whole sequences. stream: only their token ids (and topics), from which EvalActivations recomputes the rows.
        using (var writer = stream ? null : ActivationShardWriter.Create(Path.Combine(context.OutputDirectory, "eval"), new ActivationShardOptions
        {
            DIn = width, DType = dtype, SequenceLength = context_, Labels = labels, Metadata = metadata,
        }))
        {
            var evalIds = stream ? new long[evalSequences * context_] : null;
            var evalTopics = stream && labels ? new long[evalSequences * context_] : null;
            long done = 0;
            while (done < evalSequences)
            {
                ct.ThrowIfCancellationRequested();
                var batch = Take(sequences, (int)Math.Min(batchSequences, evalSequences - done), "evaluate.tokens", evalSequences * context_, done * context_);
                if (writer is null)
                {
                    for (var i = 0; i < batch.Count; i++)
                        for (var t = 0; t < context_; t++)
                        {
                            evalIds![(done + i) * context_ + t] = batch[i].Ids[t];
                            if (evalTopics is not null) evalTopics[(done + i) * context_ + t] = batch[i].Topics![t];
                        }
                }
                else
                {
                    using var scope = TensorScope.Enter();
                    AppendEval(writer, model, point, dtype, Ids(batch, context_), labels ? Topics(batch, context_) : null);
                    processed += batch.Count * context_;
                }
                done += batch.Count;
                context.Report(done * context_, total, "tokens");
            }
            if (writer is null) EvalActivations.WriteIds(context.OutputDirectory, evalIds!, evalTopics, metadata);
            else writer.Complete();
        }

        // train/: rows of non-special tokens only (the planted corpus's training stream; text files continue their one stream).
        if (trainSequences is not null) sequences = trainSequences;
        long trainRows = 0;
        using (var writer = stream ? null : ActivationShardWriter.Create(Path.Combine(context.OutputDirectory, "train"), new ActivationShardOptions
        {
            DIn = width, DType = dtype, SequenceLength = 1, Labels = labels, Metadata = metadata,
        }))
        {
            var need = stream ? 0 : spec.Data.Tokens;
            while (trainRows < need)
            {
                ct.ThrowIfCancellationRequested();
                var batch = Take(sequences, batchSequences, "data.tokens", need, trainRows);
                using var scope = TensorScope.Enter();
                var ids = Ids(batch, context_);
                using (TorchRuntime.NoGrad())
                {
                    var acts = model.RunTo(ids, point).Reshape(-1, width);             // [B·T, W]
                    var flatIds = ids.Reshape(-1);
                    var keep = specialTable.IndexSelect(0, flatIds.To(device)).LogicalNot().Cpu();
                    var rows = Tensors.Arange(flatIds.Size(0)).MaskedSelect(keep);     // [n] row indices kept
                    var take = Math.Min(rows.Size(0), need - trainRows);
                    rows = rows.Narrow(0, 0, take);
                    writer!.Append(acts.IndexSelect(0, rows.To(acts.Device)).To(dtype).Cpu(), flatIds.IndexSelect(0, rows),
                        labels ? Topics(batch, context_).IndexSelect(0, rows) : null);
                    trainRows += take;
                }
                processed += batch.Count * context_;
                context.Report(evalSequences * context_ + trainRows, total, "tokens");
            }
            writer?.Complete();
        }

        return new StageResult
        {
            Metrics = new Dictionary<string, double>
            {
                ["rows"] = trainRows,
                ["eval_rows"] = evalSequences * context_,
                ["d_in"] = width,
                ["model_layers"] = model.Config.Layers,
                ["tokens_per_second"] = processed / Math.Max(1e-9, watch.Elapsed.TotalSeconds),
            },
            Notes = [$"{metadata["model"]} ({model.Config.ModelType}{(resolved.Revision is { } r ? ", revision " + r : "")}) at {point}"],
        };
    }

    /// <summary>
    /// One forward batch of eval sequences into <paramref name="writer"/>: the model up to <paramref name="point"/> over
    /// <paramref name="ids"/> [B, T], rows in sequence order. Capture and <see cref="EvalActivations"/> share it (and the
    /// batch grouping, <see cref="SequencesPerBatch"/>), so recomputed rows equal stored ones.
    /// </summary>
    public static void AppendEval(ActivationShardWriter writer, TransformerModel model, HookPoint point, DType dtype, Tensor ids, Tensor? topics)
    {
        using var noGrad = TorchRuntime.NoGrad();
        var acts = model.RunTo(ids, point);                                                             // [B, T, W]
        writer.Append(acts.Reshape(-1, acts.Size(2)).To(dtype).Cpu(), ids.Reshape(-1), topics);
    }

    /// <summary>Sequences per forward pass at context length <paramref name="context"/>.</summary>
    public static int SequencesPerBatch(int context) => Math.Max(1, TokensPerBatch / context);

    /// <summary>The toy model's planted vocabulary, saved beside its tokenizer files.</summary>
    public const string PlantedVocabularyFile = "planted_vocab.json";

    // The next `count` sequences; a clear error when the data runs out.
    private static List<TokenSequence> Take(IEnumerator<TokenSequence> sequences, int count, string key, long needed, long have)
    {
        var batch = new List<TokenSequence>(count);
        while (batch.Count < count && sequences.MoveNext()) batch.Add(sequences.Current);
        if (batch.Count == 0)
            throw new RunnerException($"{key}: the data ran out after {have} of the {needed} tokens needed; add data or lower {key}", 2);
        return batch;
    }

    private static Tensor Ids(List<TokenSequence> batch, int context)
    {
        var flat = new long[batch.Count * context];
        for (var i = 0; i < batch.Count; i++)
            for (var t = 0; t < context; t++) flat[i * context + t] = batch[i].Ids[t];
        return Tensors.From(flat, batch.Count, context);
    }

    // [B·T] int64 topic labels (-1 = none).
    private static Tensor Topics(List<TokenSequence> batch, int context)
    {
        var flat = new long[batch.Count * context];
        for (var i = 0; i < batch.Count; i++)
            for (var t = 0; t < context; t++) flat[i * context + t] = batch[i].Topics![t];
        return Tensors.From(flat, [flat.Length]);
    }
}
