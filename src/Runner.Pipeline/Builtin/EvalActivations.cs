using System.Globalization;
using Runner.Core;
using Runner.Core.IO;
using Runner.Pipeline.Stages;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// The held-out eval activations, wherever they come from. <c>data.store: disk</c> (and <c>data.synthetic</c>, whose
/// eval set is small and stays stored): capture's <c>eval/</c> dataset. <c>stream</c> with a model: capture keeps only
/// the eval sequences' token ids and topic labels (<see cref="IdsFile"/>, 16 bytes a token); the rows are recomputed
/// by running the model to the hook over those sequences in capture's own forward batches, so they equal what capture
/// would have stored, value for value. They are written, batch by batch, to a temporary dataset outside the cache,
/// which the returned reader deletes when disposed: every consumer (evaluate, topic matching, top examples, train's
/// density, hooks) reads them as before, with bounded memory.
/// </summary>
internal static class EvalActivations
{
    /// <summary>capture's file in stream mode: <c>token_ids</c> [rows] and, for the planted corpus, <c>labels</c> [rows].</summary>
    public const string IdsFile = "eval_ids.safetensors";

    /// <summary>Writes the eval sequences' ids (and topics) with the eval dataset's metadata.</summary>
    public static void WriteIds(string folder, long[] ids, long[]? topics, IReadOnlyDictionary<string, string> metadata)
    {
        using var scope = TensorScope.Enter();
        var tensors = new Dictionary<string, Tensor> { [ActivationIndex.TokenIdsTensor] = Tensors.From(ids, ids.Length) };
        if (topics is not null) tensors[ActivationIndex.LabelsTensor] = Tensors.From(topics, topics.Length);
        SafetensorsWriter.Write(Path.Combine(folder, IdsFile), tensors, metadata);
    }

    /// <summary>A reader over the eval rows of <paramref name="context"/>'s point (dispose it).</summary>
    public static ActivationShardReader Open(StageContext context, CancellationToken ct = default)
    {
        var capture = context.Input("capture").Directory;
        var idsPath = Path.Combine(capture, IdsFile);
        if (!File.Exists(idsPath)) return ActivationShardReader.Open(Path.Combine(capture, "eval"), new ActivationReadOptions { DType = DType.Float32 });
        var folder = Path.Combine(Path.GetTempPath(), "runner-eval-" + Guid.NewGuid().ToString("N"));
        try
        {
            Recompute(context, idsPath, folder, ct);
            return ActivationShardReader.Open(folder, new ActivationReadOptions { DType = DType.Float32, DeleteOnDispose = true });
        }
        catch
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    // The model over the stored eval sequences, in capture's forward batches, into a dataset at `folder`.
    private static void Recompute(StageContext context, string idsPath, string folder, CancellationToken ct)
    {
        var spec = context.Point.Spec;
        var device = StageDevice.Resolve(spec.Device);
        using var model = LanguageModels.Load(LanguageModels.Resolve(context), device, spec.Model.Dtype);
        var point = LanguageModels.Point(spec.Hook);
        var dtype = SpecMapping.StorageDType(spec.Data.ActivationDtype);   // what capture would have stored
        using var file = SafetensorsFile.Open(idsPath);
        var sequenceLength = int.Parse(file.Metadata["context"], CultureInfo.InvariantCulture);
        if (sequenceLength != spec.Data.Context)
            throw new RunnerException($"{idsPath}: eval sequences of {sequenceLength} tokens, data.context is {spec.Data.Context}");
        using var scope = TensorScope.Enter();
        var ids = file.Read(ActivationIndex.TokenIdsTensor);                                           // [S·T]
        var topics = file.Contains(ActivationIndex.LabelsTensor) ? file.Read(ActivationIndex.LabelsTensor) : null;
        var sequences = ids.Size(0) / sequenceLength;
        var perBatch = ModelCapture.SequencesPerBatch(sequenceLength);
        using var writer = ActivationShardWriter.Create(folder, new ActivationShardOptions
        {
            DIn = (int)model.SiteWidth(point.Site), DType = dtype, SequenceLength = sequenceLength, Labels = topics is not null,
            Metadata = new Dictionary<string, string>(file.Metadata),
        });
        for (long start = 0; start < sequences; start += perBatch)
        {
            ct.ThrowIfCancellationRequested();
            var n = Math.Min(perBatch, sequences - start);
            using var inner = TensorScope.Enter();
            var batch = ids.Narrow(0, start * sequenceLength, n * sequenceLength);
            ModelCapture.AppendEval(writer, model, point, dtype, batch.Reshape(n, sequenceLength), topics?.Narrow(0, start * sequenceLength, n * sequenceLength));
            context.Report((start + n) * sequenceLength, sequences * sequenceLength, "eval tokens");
        }
        writer.Complete();
    }
}
