using System.Diagnostics;
using Runner.Core.Models;
using Runner.Torch;

namespace Runner.Core.Streaming;

/// <summary>
/// Fresh rows from a language model over packed token sequences: the model runs (no grad) as far as the
/// deepest hook point, and each token that is not special (BOS/EOS, as capture leaves them out of training)
/// gives one row: the activations at every hook point side by side, in the order given. Row order = sequence
/// order, then token order, so rows can be skipped by counting tokens without running the model.
/// </summary>
public sealed class ModelRowProducer : IRowProducer
{
    private readonly TransformerModel _model;
    private readonly IReadOnlyList<HookPoint> _points;
    private readonly Func<IEnumerable<int[]>> _sequences;
    private readonly bool[] _special;
    private readonly int _batchSequences;
    private long _computeTicks;
    private long _tokens;

    /// <param name="model">The model (forwards are thread-safe; the producer may run on its own thread).</param>
    /// <param name="points">Hook points whose activations make up a row, side by side.</param>
    /// <param name="sequences">Opens the sequences from the first one (each call starts over); all of one length.</param>
    /// <param name="special">Per token id: true for tokens whose rows are left out.</param>
    /// <param name="tokensPerForward">Tokens per forward pass (whole sequences, at least one).</param>
    /// <param name="context">Tokens per sequence.</param>
    public ModelRowProducer(TransformerModel model, IReadOnlyList<HookPoint> points, Func<IEnumerable<int[]>> sequences, bool[] special, int tokensPerForward = 4096, int context = 64)
    {
        if (points.Count == 0) throw new ArgumentException("at least one hook point", nameof(points));
        _model = model;
        _points = points;
        _sequences = sequences;
        _special = special;
        _batchSequences = Math.Max(1, tokensPerForward / Math.Max(1, context));
        Width = points.Sum(p => (int)model.SiteWidth(p.Site));
    }

    /// <inheritdoc/>
    public int Width { get; }

    /// <inheritdoc/>
    public double ComputeSeconds => TimeSpan.FromTicks(Interlocked.Read(ref _computeTicks)).TotalSeconds;

    /// <summary>Tokens run through the model so far (special ones included).</summary>
    public long TokensForwarded => Interlocked.Read(ref _tokens);

    /// <inheritdoc/>
    /// <remarks>
    /// Forward passes always take the same groups of sequences (batch k = sequences [k·n, (k+1)·n)), wherever the
    /// stream starts, so a reopened stream computes bit for bit the rows an uninterrupted one did: the batches before
    /// the one holding <paramref name="startRow"/> are counted, not run.
    /// </remarks>
    public IEnumerable<Tensor> Rows(long startRow, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startRow);
        long row = 0;
        var batch = new List<int[]>(_batchSequences);
        foreach (var ids in _sequences())
        {
            batch.Add(ids);
            if (batch.Count < _batchSequences) continue;
            cancellationToken.ThrowIfCancellationRequested();
            if (Next(batch, startRow, ref row) is { } rows) yield return rows;
            batch.Clear();
        }
        if (batch.Count > 0 && Next(batch, startRow, ref row) is { } last) yield return last;
    }

    // A batch's rows from `startRow` on, or null when the whole batch lies before it (fast-forward: counted, not computed).
    private Tensor? Next(List<int[]> batch, long startRow, ref long row)
    {
        var kept = batch.Sum(Kept);
        var first = row;
        row += kept;
        if (row <= startRow) return null;
        return Forward(batch, Math.Max(0, startRow - first));
    }

    private long Kept(int[] ids)
    {
        long n = 0;
        foreach (var id in ids) if (!_special[id]) n++;
        return n;
    }

    // The rows of a batch of sequences: [kept tokens - skip, Width], owned by the caller.
    private Tensor Forward(List<int[]> batch, long skip)
    {
        var watch = Stopwatch.StartNew();
        var context = batch[0].Length;
        var flat = new long[batch.Count * context];
        var keep = new List<long>(flat.Length);
        for (var i = 0; i < batch.Count; i++)
            for (var t = 0; t < context; t++)
            {
                var id = batch[i][t];
                flat[i * context + t] = id;
                if (!_special[id]) keep.Add(i * context + t);
            }
        Tensor result;
        using (var scope = TensorScope.Enter())
        using (TorchRuntime.NoGrad())
        {
            var ids = Tensors.From(flat, batch.Count, context);                            // [B, T]
            var parts = Activations(ids);                                                  // each [B·T, W_p]
            var rows = parts.Count == 1 ? parts[0] : Tensors.Cat(parts, 1);                // [B·T, W]
            var index = Tensors.From(keep.Skip((int)skip).ToArray()).To(rows.Device);
            result = scope.Keep(rows.IndexSelect(0, index).Cpu()).DetachFromScope();
        }
        Interlocked.Add(ref _computeTicks, watch.Elapsed.Ticks);
        Interlocked.Add(ref _tokens, flat.Length);
        return result;
    }

    // One forward up to the deepest point; every point's activation as float32 [B·T, W_p] (in the caller's scope).
    private List<Tensor> Activations(Tensor ids)
    {
        if (_points.Count == 1) return [_model.RunTo(ids, _points[0]).Reshape(-1, _model.SiteWidth(_points[0].Site))];
        var seen = new Dictionary<HookPoint, Tensor>();
        var hooks = _points.Distinct().ToDictionary(p => p, p => (ActivationHook)((a, _) =>
        {
            seen[p] = a.To(a.Device, DType.Float32, copy: true).DetachFromScope();   // outlives the forward's scope
            return null;
        }));
        try
        {
            // resid_post ends a block in every family, so running to it passes every site of the deepest layer.
            _model.RunTo(ids, new HookPoint(_points.Max(p => p.Layer), HookSite.ResidPost), hooks).Dispose();
            return _points.Select(p => seen[p].Reshape(-1, _model.SiteWidth(p.Site))).ToList();   // views: keep the storage
        }
        finally
        {
            foreach (var a in seen.Values) a.Dispose();
        }
    }
}
