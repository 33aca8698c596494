using System.Collections.Concurrent;
using System.Globalization;
using Runner.Core;
using Runner.Core.Models;
using Runner.Core.Tokenizers;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// <c>data.store: stream</c> at planning time, before anything runs: the shuffle buffer's size and whether it
/// fits in memory, and whether the data can supply <c>sae.tokens</c> fresh tokens. Errors exit 2.
/// </summary>
internal static class StreamChecks
{
    private const int BadInput = 2;

    /// <summary>Shuffle blocks alive at once: one being filled, one queued, one being trained on, one being permuted.</summary>
    public const int BlocksInFlight = 4;

    /// <summary>Rows each trainer holds before its first step (its normalization sample, TrainerOptions.NormalizationRows).</summary>
    private const long InitRows = 100_000;

    private static readonly ConcurrentDictionary<string, long> s_available = new(StringComparer.Ordinal);

    /// <summary>
    /// Rows in the shuffle buffer: data.shuffle_buffer, or 64 batches; at most the rows the run trains on (a block is
    /// filled whole before it is handed out, so a larger one would only compute rows nobody reads).
    /// </summary>
    public static long BufferRows(ExperimentSpec spec) => Math.Min(spec.Data.ShuffleBuffer ?? 64L * spec.Sae.BatchSize, StreamedRows(spec));

    /// <summary>Width of one row at the spec's hook point (synthetic: d_in).</summary>
    public static int RowWidth(ExperimentSpec spec) => spec.Data.Synthetic?.DIn ?? Estimates.ModelShape.For(spec)!.SiteWidth(spec.Hook);

    /// <summary>Every check; throws a RunnerException (exit 2) naming the key and the way out.</summary>
    public static void Check(ExperimentSpec spec)
    {
        CheckMemory(spec, RowWidth(spec), GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);
        CheckSupply(spec);
    }

    /// <summary>The buffer's blocks in flight plus the trainer's initialization sample must fit in <paramref name="memory"/> bytes.</summary>
    public static void CheckMemory(ExperimentSpec spec, int width, long memory)
    {
        var rows = spec.Data.ShuffleBuffer ?? BufferRows(spec);
        var initRows = Math.Min(InitRows, spec.Sae.Tokens);
        var need = ((double)BlocksInFlight * rows + initRows) * width * sizeof(float);
        if (need <= memory * 0.8) return;
        var fits = (long)Math.Max(0, (memory * 0.8 / (width * (double)sizeof(float)) - initRows) / BlocksInFlight);
        var key = spec.Data.ShuffleBuffer is null ? "data.shuffle_buffer (default 64 × sae.batch_size)" : "data.shuffle_buffer";
        throw new RunnerException(string.Create(CultureInfo.InvariantCulture,
            $"{key}: {rows} rows of {width} float32 values need about {Gb(need)} in memory ({BlocksInFlight} buffer blocks in flight plus the trainer's initialization sample), but this machine allows {Gb(memory)}; set data.shuffle_buffer to at most {fits} rows (or a smaller sae.batch_size)"), BadInput);
    }

    // Text files and JSON lines are finite: count the rows they give after the held-out sequences. Generated data never ends.
    private static void CheckSupply(ExperimentSpec spec)
    {
        if (spec.Data.Synthetic is not null || (spec.Data.Files is null && spec.Data.Jsonl is null)) return;
        var need = StreamedRows(spec);
        var available = AvailableRows(spec);
        if (need <= available) return;
        var per = (double)need / Math.Max(1, available);
        throw new RunnerException(string.Create(CultureInfo.InvariantCulture,
            $"sae.tokens: data.store stream trains on fresh tokens only, and needs {need} (sae.tokens rounded up to whole batches of {spec.Sae.BatchSize}), but the data supplies {available} after the {EvalSequences(spec) * spec.Data.Context} held-out tokens; lower sae.tokens to at most {available / spec.Sae.BatchSize * spec.Sae.BatchSize}, add {per:F1}× the data, or use data.store: disk (which repeats the captured rows in epochs)"), BadInput);
    }

    /// <summary>Fresh rows a point trains on: sae.tokens rounded up to whole batches.</summary>
    public static long StreamedRows(ExperimentSpec spec) => (spec.Sae.Tokens + spec.Sae.BatchSize - 1) / spec.Sae.BatchSize * spec.Sae.BatchSize;

    /// <summary>Held-out sequences capture takes first: evaluate.tokens rounded up to whole sequences.</summary>
    public static long EvalSequences(ExperimentSpec spec) => (spec.Evaluate.Tokens + spec.Data.Context - 1) / spec.Data.Context;

    // Rows (non-special tokens) of the training sequences, by tokenizing everything once per process.
    private static long AvailableRows(ExperimentSpec spec)
    {
        var resolved = LanguageModels.Resolve(spec.Model);
        var id = string.Join("\n", [resolved.Directory, .. spec.Data.Files ?? [], "|", .. spec.Data.Jsonl ?? [], spec.Data.TextField ?? "",
            spec.Data.Context.ToString(CultureInfo.InvariantCulture), spec.Data.Bos.ToString(), spec.Seed.ToString(CultureInfo.InvariantCulture),
            spec.Evaluate.Tokens.ToString(CultureInfo.InvariantCulture)]);
        return s_available.GetOrAdd(id, _ =>
        {
            var tokenizer = TokenizerLoader.Load(resolved.Directory);
            var config = ModelConfig.FromJson(Path.Combine(resolved.Directory, "config.json"));
            var special = LanguageModels.SpecialTable(tokenizer, config.VocabSize);
            long rows = 0;
            foreach (var s in TextSequences.Read(spec, tokenizer, LanguageModels.Separator(tokenizer, config), heldOut: false, null).Skip((int)EvalSequences(spec)))
                foreach (var t in s.Ids) if (!special[t]) rows++;
            return rows;
        });
    }

    private static string Gb(double bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:F1} GB");
}
