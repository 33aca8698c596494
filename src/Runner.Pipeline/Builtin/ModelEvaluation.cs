using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core.IO;
using Runner.Core.Models;
using Runner.Core.Sae;
using Runner.Core.Steering;
using Runner.Core.Tokenizers;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// The parts of evaluate that need the language model: next-token CE loss clean, with the SAE's reconstruction
/// spliced in at the hook, and with the hook zero-ablated; CE loss recovered; KL to the clean distribution; and the
/// top-activating examples of the strongest features. Special tokens (BOS/EOS/added special tokens) are excluded
/// as SAELens does: their activations are never replaced, and predictions made at them are not averaged.
/// </summary>
internal static class ModelEvaluation
{
    /// <summary>Tokens per forward pass (logits are [tokens, vocab] floats, three times over).</summary>
    private const int TokensPerBatch = 1024;

    /// <summary>Sums of per-position losses over the eval sequences.</summary>
    public static Dictionary<string, double> SpliceMetrics(TransformerModel model, ISparseAutoencoder sae, HookPoint point,
        long[] ids, int context, bool[] special, Device device, Action<long, long> report, CancellationToken ct)
    {
        var sequences = ids.Length / context;
        var batchSequences = Math.Max(1, TokensPerBatch / context);
        double ceClean = 0, ceSpliced = 0, ceZero = 0, klSpliced = 0, klZero = 0;
        long counted = 0;
        using var table = Tensors.From(special).To(device);
        for (var start = 0; start < sequences; start += batchSequences)
        {
            ct.ThrowIfCancellationRequested();
            var n = Math.Min(batchSequences, sequences - start);
            using var scope = TensorScope.Enter();
            using var noGrad = TorchRuntime.NoGrad();
            var batch = Tensors.From(ids.AsSpan(start * context, n * context), [n, context]).To(device);   // [B, T]
            var keep = table.IndexSelect(0, batch.Reshape(-1)).Reshape(n, context);                        // [B, T] special
            var clean = Functional.LogSoftmax(model.Forward(batch), -1);                                   // [B, T, V]
            var spliced = Functional.LogSoftmax(model.Forward(batch, new Dictionary<HookPoint, ActivationHook> { [point] = SaeHooks.Splice(sae, keep) }), -1);
            var zero = Functional.LogSoftmax(model.Forward(batch, new Dictionary<HookPoint, ActivationHook> { [point] = SaeHooks.ZeroAblate(keep) }), -1);

            // Predictions at positions 0..T-2 of the next token; counted where the input token is not special.
            var target = batch.Narrow(1, 1, context - 1).Unsqueeze(-1);                                    // [B, T-1, 1]
            var valid = keep.Narrow(1, 0, context - 1).LogicalNot().To(DType.Float32);                    // [B, T-1]
            Tensor Ce(Tensor logp) => -(logp.Narrow(1, 0, context - 1).Gather(2, target).Squeeze(-1) * valid).Sum();
            var pClean = clean.Narrow(1, 0, context - 1).Exp();
            Tensor Kl(Tensor logp) => ((pClean * (clean.Narrow(1, 0, context - 1) - logp.Narrow(1, 0, context - 1))).Sum(-1) * valid).Sum();
            ceClean += Ce(clean).ToDouble();
            ceSpliced += Ce(spliced).ToDouble();
            ceZero += Ce(zero).ToDouble();
            klSpliced += Kl(spliced).ToDouble();
            klZero += Kl(zero).ToDouble();
            counted += (long)valid.Sum().ToDouble();
            report(start + n, sequences);
        }
        var c = Math.Max(1, counted);
        var m = new Dictionary<string, double>
        {
            ["ce_loss_clean"] = ceClean / c,
            ["ce_loss_spliced"] = ceSpliced / c,
            ["ce_loss_zero_ablated"] = ceZero / c,
            ["ce_loss_delta"] = (ceSpliced - ceClean) / c,
            ["kl_spliced"] = klSpliced / c,
            ["kl_zero_ablated"] = klZero / c,
            ["ce_tokens"] = counted,
        };
        // (CE_zero − CE_sae) / (CE_zero − CE_clean): SAELens's ce_loss_score; KL likewise.
        m["ce_loss_recovered"] = ceZero - ceClean is var d && Math.Abs(d) > 1e-12 ? (ceZero - ceSpliced) / d : double.NaN;
        m["kl_score"] = klZero > 1e-12 ? (klZero - klSpliced) / klZero : double.NaN;
        return m;
    }

    /// <summary>
    /// Top-activating examples of the <paramref name="features"/> strongest features (by max activation among live
    /// features): for each, the <paramref name="examples"/> eval positions with the highest activation, each with its
    /// token and ±<paramref name="window"/> tokens of context. Written as JSON to <paramref name="path"/>.
    /// </summary>
    public static void TopExamples(string path, ISparseAutoencoder sae, ActivationShardReader eval, long[] ids, ITokenizer tokenizer, bool[] special,
        double[] maxActivation, double[] density, int features, int examples, int window, Device device, CancellationToken ct)
    {
        var chosen = Enumerable.Range(0, maxActivation.Length).Where(i => density[i] > 0)
            .OrderByDescending(i => maxActivation[i]).ThenBy(i => i).Take(features).ToArray();
        var context = eval.SequenceLength;   // ids: the token id of every eval row, in order
        var top = new JsonArray();
        if (chosen.Length > 0)
        {
            using var scope = TensorScope.Enter();
            var selected = Tensors.From(chosen.Select(i => (long)i).ToArray()).To(device);
            var bestValues = Tensors.Full([0, chosen.Length], 0f, DType.Float32, device);        // [E', N]
            var bestRows = Tensors.Full([0, chosen.Length], 0L, DType.Int64, device);             // [E', N]
            using var table = Tensors.From(special).To(device);
            long row = 0;
            foreach (var batch in eval.ReadSequential(4096))
            {
                ct.ThrowIfCancellationRequested();
                using (batch)
                using (var inner = TensorScope.Enter())
                using (TorchRuntime.NoGrad())
                {
                    var tok = batch.TokenIds!;
                    var x = batch.Activations.To(device, DType.Float32);
                    var s = sae.InputScale;
                    var f = sae.Encode(s == 1 ? x : x * s).IndexSelect(1, selected);              // [b, N]
                    var isSpecial = table.IndexSelect(0, tok.To(device, DType.Int64)).Unsqueeze(1); // [b, 1]
                    f = f.MaskedFill(isSpecial, 0f);
                    var rows = (Tensors.Arange(batch.Count, device) + row).Unsqueeze(1).Expand(batch.Count, chosen.Length);
                    var values = Tensors.Cat([bestValues, f], 0);
                    var rowIds = Tensors.Cat([bestRows, rows], 0);
                    var k = Math.Min(examples, values.Size(0));
                    var (v, index) = values.TopK(k, 0);
                    bestValues.Dispose(); bestRows.Dispose();
                    bestValues = inner.Keep(v).DetachFromScope();
                    bestRows = inner.Keep(rowIds.Gather(0, index)).DetachFromScope();
                }
                row += batch.Count;
            }
            var vals = bestValues.Cpu().ToArray<float>();
            var where = bestRows.Cpu().ToArray<long>();
            bestValues.Dispose(); bestRows.Dispose();
            var e = vals.Length / chosen.Length;
            for (var j = 0; j < chosen.Length; j++)
            {
                var list = new JsonArray();
                for (var r = 0; r < e; r++)
                {
                    var value = vals[r * chosen.Length + j];
                    if (value <= 0) break;
                    var at = where[r * chosen.Length + j];
                    var seqStart = at / context * context;
                    var from = Math.Max(seqStart, at - window);
                    var to = Math.Min(seqStart + context - 1, at + window);
                    var windowIds = ids[(int)from..(int)(to + 1)].Select(i => (int)i).ToArray();
                    list.Add(new JsonObject
                    {
                        ["activation"] = value,
                        ["sequence"] = at / context,
                        ["position"] = at % context,
                        ["token_id"] = ids[at],
                        ["token"] = tokenizer.Decode([(int)ids[at]]),
                        ["context_ids"] = new JsonArray([.. windowIds.Select(i => (JsonNode)i)]),
                        ["context_tokens"] = new JsonArray([.. windowIds.Select(i => (JsonNode)tokenizer.Decode([i]))]),
                        ["token_index_in_context"] = at - from,
                    });
                }
                top.Add(new JsonObject
                {
                    ["feature"] = chosen[j],
                    ["max_activation"] = maxActivation[chosen[j]],
                    ["density"] = density[chosen[j]],
                    ["examples"] = list,
                });
            }
        }
        var doc = new JsonObject { ["format"] = "runner-top-examples", ["version"] = 1, ["window"] = window, ["features"] = top };
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, path, overwrite: true);
    }
}
