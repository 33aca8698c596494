using System.Diagnostics;
using Runner.Core.Data;
using Runner.Core.IO;
using Runner.Torch;

namespace Runner.Core.Streaming;

/// <summary>
/// Trains several SAEs from one pass over a shuffled stream: each chunk is produced once (by the producer, on
/// its own thread, a bounded queue ahead) and every member cuts its own batches from it, so each member sees
/// exactly the batches it would see alone. A member that fails (a diverging loss) is dropped and recorded;
/// the others go on. Cancellation checkpoints every started member that has a store, then throws.
/// </summary>
public static class StreamTraining
{
    /// <summary>Runs every member to its last step.</summary>
    /// <param name="members">The SAEs; their trainers must not have been started.</param>
    /// <param name="open">Opens the shuffled stream at a position: chunks [n, row width] owned by the consumer.</param>
    /// <param name="producerSeconds">Reads the producer's compute time so far.</param>
    /// <param name="queue">Chunks the producer may run ahead (the bounded queue).</param>
    public static StreamStats Run(IReadOnlyList<StreamMember> members, Func<long, IEnumerable<Tensor>> open, Func<double> producerSeconds,
        int queue, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        var states = new List<State>();
        foreach (var m in members)
        {
            try
            {
                var resumed = m.Trainer.Start(m.Checkpoints);
                if (m.Trainer.Finished) m.Result = m.Trainer.Result();
                else states.Add(new State(m, resumed));
            }
            catch (RunnerException e)
            {
                m.Error = e;   // e.g. a checkpoint of another run
            }
        }
        if (states.Count == 0) return new StreamStats { StartRow = 0, Rows = 0, ProducerSeconds = 0, SaeSeconds = 0, WaitSeconds = 0, Seconds = wall.Elapsed.TotalSeconds };

        var start = states.Min(s => s.Position);
        var position = start;
        double wait = 0;
        var before = producerSeconds();
        using var chunks = Prefetcher.Run(open(start), queue, "activation stream").GetEnumerator();
        try
        {
            while (states.Count > 0)
            {
                var waited = Stopwatch.StartNew();
                if (!chunks.MoveNext())
                    throw new RunnerException($"the activation stream ended after {position} rows, but training needs {states.Max(s => s.Member.Trainer.Options.TrainingTokens)}", 2);
                wait += waited.Elapsed.TotalSeconds;
                using var chunk = chunks.Current;
                var n = chunk.Size(0);
                foreach (var state in states.ToList())
                {
                    try
                    {
                        state.Feed(chunk, position, cancellationToken);
                        if (state.Member.Trainer.Finished)
                        {
                            state.Member.Result = state.Member.Trainer.Result();
                            state.Dispose();
                            states.Remove(state);
                        }
                    }
                    catch (Exception e) when (e is RunnerException or TorchException)
                    {
                        state.Member.Error = e;
                        state.Dispose();
                        states.Remove(state);
                    }
                }
                position += n;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            foreach (var s in states) s.Checkpoint();
            throw;
        }
        finally
        {
            foreach (var s in states) s.Dispose();
        }
        return new StreamStats
        {
            StartRow = start,
            Rows = position - start,
            ProducerSeconds = producerSeconds() - before,
            SaeSeconds = members.Sum(m => m.StepSeconds),
            WaitSeconds = wait,
            Seconds = wall.Elapsed.TotalSeconds,
        };
    }

    /// <summary>One member's position in the stream and the rows it has not made a batch of yet.</summary>
    private sealed class State(StreamMember member, bool resumed) : IDisposable
    {
        private readonly List<Tensor> _pending = [];           // rows received, not yet a batch (views of chunks)
        private readonly List<Tensor> _initial = [];           // the first batches, held until Initialize has seen enough
        private long _pendingRows;
        private long _initialRows;
        private bool _initialized = resumed;

        public StreamMember Member => member;

        /// <summary>Stream position of the next row this member needs.</summary>
        public long Position { get; private set; } = member.Trainer.Tokens;

        private int BatchSize => member.Trainer.Options.BatchSize;

        // Takes the member's rows of a chunk that starts at stream position `at`, and steps on every full batch.
        public void Feed(Tensor chunk, long at, CancellationToken ct)
        {
            var n = chunk.Size(0);
            if (Position >= at + n) return;                   // resumed further ahead
            var from = Position - at;
            using (var scope = TensorScope.Enter())
            {
                var rows = chunk.Narrow(0, from, n - from).Narrow(1, member.Offset, member.Width);
                _pending.Add(scope.Keep(rows).DetachFromScope());
            }
            _pendingRows += n - from;
            Position = at + n;
            while (_pendingRows >= BatchSize && !member.Trainer.Finished)
            {
                ct.ThrowIfCancellationRequested();
                var batch = TakeBatch();
                if (!_initialized)
                {
                    _initial.Add(batch);
                    _initialRows += BatchSize;
                    if (_initialRows >= member.Trainer.InitializationRows) Initialize(ct);
                    continue;
                }
                Step(batch);
            }
        }

        private void Initialize(CancellationToken ct)
        {
            // Initialize disposes the batches it reads: hand it aliases, keep the rows for the first steps.
            member.Trainer.Initialize(_initial.Select(t => new ActivationBatch(t.Narrow(0, 0, t.Size(0)).DetachFromScope())), ct);
            _initialized = true;
            foreach (var batch in _initial.ToList())
            {
                _initial.Remove(batch);
                Step(batch);
            }
        }

        private void Step(Tensor rows)
        {
            var watch = Stopwatch.StartNew();
            using (var batch = new ActivationBatch(rows)) member.Trainer.TrainOn(batch, member.Checkpoints, member.Progress);
            member.StepSeconds += watch.Elapsed.TotalSeconds;
        }

        // The next BatchSize pending rows as one tensor owned by the caller.
        private Tensor TakeBatch()
        {
            using var scope = TensorScope.Enter();
            var parts = new List<Tensor>();
            long got = 0;
            while (got < BatchSize)
            {
                var head = _pending[0];
                var take = Math.Min(BatchSize - got, head.Size(0));
                parts.Add(head.Narrow(0, 0, take));
                if (take == head.Size(0))
                {
                    _pending.RemoveAt(0);
                    head.Dispose();                              // the narrowed view keeps its storage
                }
                else
                {
                    _pending[0] = scope.Keep(head.Narrow(0, take, head.Size(0) - take)).DetachFromScope();
                    head.Dispose();
                }
                got += take;
            }
            _pendingRows -= BatchSize;
            var joined = parts.Count == 1 ? parts[0].Contiguous() : Tensors.Cat(parts);
            return scope.Keep(joined).DetachFromScope();
        }

        // On cancel: the state at the last step (rows pending or held for initialization are simply produced again).
        public void Checkpoint()
        {
            if (_initialized && member.Checkpoints is not null && member.Trainer.Step > 0) member.Trainer.SaveCheckpoint(member.Checkpoints);
        }

        public void Dispose()
        {
            foreach (var t in _pending) t.Dispose();
            foreach (var t in _initial) t.Dispose();
            _pending.Clear();
            _initial.Clear();
        }
    }
}
