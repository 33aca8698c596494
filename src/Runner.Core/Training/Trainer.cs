using Runner.Core.Data;
using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.Training;

/// <summary>
/// Trains an <see cref="ISparseAutoencoder"/> in place with Adam on a resumable activation stream:
/// learning-rate decay and sparsity warm-up by step, gradient clipping, dead-latent tracking in
/// tokens, optional resampling of dead and near-duplicate latents, training curves, checkpoints every N tokens
/// and on cancel, and optional bf16 autocast.
/// One trainer runs once; to resume, build a new SAE and trainer with the same options and pass the
/// same <see cref="ICheckpointStore"/>: the run continues bit for bit where the checkpoint was taken.
/// </summary>
public sealed partial class Trainer : IDisposable
{
    private readonly ISparseAutoencoder _sae;
    private readonly TrainerOptions _options;
    private readonly IReadOnlyList<Tensor> _parameters;
    private readonly Adam _adam;
    private readonly DeadLatentTracker _dead;
    private readonly List<TrainingPoint> _curve = [];
    private long _step;
    private long _tokens;
    private bool _started;
    private bool _resumed;

    /// <summary>A trainer for <paramref name="sae"/>, whose parameters must live on <see cref="TrainerOptions.Device"/>.</summary>
    public Trainer(ISparseAutoencoder sae, TrainerOptions options)
    {
        options.Validate();
        _sae = sae;
        _options = options;
        _parameters = [.. sae.Parameters.Select(p => p.Value)];
        if (_parameters.Count == 0) throw new ArgumentException("the SAE has no parameters", nameof(sae));
        var device = _parameters[0].Device;
        if (device.Type != options.Device.Type)
            throw new ArgumentException($"the SAE's parameters are on {device} but the trainer runs on {options.Device}", nameof(options));
        _adam = new Adam(_parameters, options.Lr, options.Beta1, options.Beta2, options.Eps);
        Random = new Generator(options.Seed);
        _dead = new DeadLatentTracker(sae.Options.DSae, options.EffectiveDeadWindow, options.Device);
    }

    /// <summary>The options the trainer runs with.</summary>
    public TrainerOptions Options => _options;

    /// <summary>The trainer's seeded random stream, saved in and restored from checkpoints.</summary>
    public Generator Random { get; }

    /// <summary>Steps done.</summary>
    public long Step => _step;

    /// <summary>Training rows consumed.</summary>
    public long Tokens => _tokens;

    /// <summary>The curve points recorded so far.</summary>
    public IReadOnlyList<TrainingPoint> Curve => _curve;

    /// <summary>
    /// Runs the training to <see cref="TrainerOptions.TotalSteps"/>. Resumes from
    /// <paramref name="checkpoints"/> when it holds a checkpoint (data is then read from the
    /// checkpoint's row on); otherwise reads a sample from row 0 to estimate the input scale (when
    /// normalizing) and for the SAE's <see cref="ISparseAutoencoder.InitializeDecoderBias"/>, then trains from row 0.
    /// Reports each curve point to <paramref name="progress"/>. On cancellation writes a checkpoint (when
    /// a store is given) and throws <see cref="OperationCanceledException"/>; a non-finite loss throws
    /// <see cref="RunnerException"/> before the optimizer applies it.
    /// </summary>
    public TrainingResult Train(IActivationSource source, ICheckpointStore? checkpoints = null, IProgress<TrainingPoint>? progress = null, CancellationToken cancellationToken = default)
    {
        var resumed = Start(checkpoints);
        if (!resumed)
        {
            using var first = source.Read(0, _options.BatchSize).GetEnumerator();
            Initialize(Batches(first), cancellationToken);
        }

        if (!Finished)
        {
            using var batches = source.Read(_tokens, _options.BatchSize).GetEnumerator();
            while (!Finished)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    if (checkpoints is not null) SaveCheckpoint(checkpoints);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (!batches.MoveNext())
                    throw new RunnerException($"the activation source ended after {_tokens} rows, but training needs {_options.TrainingTokens} ({_options.TotalSteps} steps of {_options.BatchSize})");
                using var batch = batches.Current;
                TrainOn(batch, checkpoints, progress);
            }
        }
        return Result();

        static IEnumerable<ActivationBatch> Batches(IEnumerator<ActivationBatch> e)
        {
            while (e.MoveNext()) yield return e.Current;
        }
    }

    /// <summary>
    /// The step-by-step form of <see cref="Train"/> (a caller that pushes batches, e.g. one stream feeding
    /// several SAEs): resumes from <paramref name="checkpoints"/> when it holds a checkpoint and returns
    /// true; otherwise the caller must call <see cref="Initialize"/> with the stream's first
    /// <see cref="InitializationRows"/> rows, then <see cref="TrainOn"/> from row 0.
    /// </summary>
    public bool Start(ICheckpointStore? checkpoints)
    {
        if (_started) throw new InvalidOperationException("a Trainer runs once; to resume, create a new one with the same checkpoint store");
        _started = true;
        _resumed = checkpoints is not null && TryResume(checkpoints);
        return _resumed;
    }

    /// <summary>Rows from the start of the stream that <see cref="Initialize"/> needs (normalization and the SAE's data-dependent init).</summary>
    public long InitializationRows => Math.Max(_options.Normalize ? Math.Min(_options.NormalizationRows, _options.TrainingTokens) : 0,
        Math.Min(_options.InitSampleRows, _options.TrainingTokens));

    /// <summary>True once every step of the run is done.</summary>
    public bool Finished => _step >= _options.TotalSteps;

    /// <summary>
    /// One optimizer step on <paramref name="batch"/> (exactly <see cref="TrainerOptions.BatchSize"/> rows, the
    /// next of the stream), then a checkpoint to <paramref name="checkpoints"/> when one is due.
    /// </summary>
    public void TrainOn(ActivationBatch batch, ICheckpointStore? checkpoints = null, IProgress<TrainingPoint>? progress = null)
    {
        if (Finished) throw new InvalidOperationException("the run has done all its steps");
        TrainStep(batch, progress);
        if (checkpoints is not null && CheckpointDue()) SaveCheckpoint(checkpoints);
    }

    /// <summary>The run's result so far (complete once <see cref="Finished"/>).</summary>
    public TrainingResult Result() => new()
    {
        Steps = _step,
        Tokens = _tokens,
        InputScale = _sae.InputScale,
        Curve = _curve.ToArray(),
        DeadFraction = _dead.DeadFraction(),
        TokensSinceFired = TokensSinceFired(),
        ResampledDead = _resampledDead,
        ResampledDuplicates = _resampledDuplicates,
        Resumed = _resumed,
    };

    // One optimizer step: forward (autocast when bf16), backward, gradient fix-ups, clip, finite check, Adam, bookkeeping.
    private void TrainStep(ActivationBatch batch, IProgress<TrainingPoint>? progress)
    {
        using var scope = TensorScope.Enter();
        var lr = TrainingSchedule.LearningRate(_options.Lr, _step, _options.TotalSteps, _options.LrDecayFraction);
        var sparsityScale = TrainingSchedule.SparsityScale(_step, _options.TotalSteps, _options.SparsityWarmupFraction);
        var x = Input(batch);                                                       // [B, d_in], SAE space
        var context = new SaeStepContext { SparsityScale = sparsityScale, DeadMask = _dead.DeadMask() };
        SaeForward forward;
        using (_options.Precision == DType.BFloat16 ? TorchRuntime.Autocast(_options.Device) : null)
            forward = _sae.TrainingForward(x, context);
        forward.Loss.Backward();
        _sae.BeforeOptimizerStep();
        if (_options.GradClip > 0) Gradients.ClipNorm(_parameters, _options.GradClip);
        var loss = forward.Loss.ToDouble();                                         // the clip synced already
        if (!double.IsFinite(loss)) throw Diverged(forward, x, loss);
        _adam.SetLearningRate(lr);
        _adam.Step();
        _sae.AfterOptimizerStep();
        _adam.ZeroGrad();
        _dead.Update(forward.Fired, batch.Count);
        _step++;
        _tokens += batch.Count;
        if (_options.Resample?.DueAfter(_step, _options.TotalSteps) == true) Resample(x);
        if (_step % _options.LogEvery == 0 || _step == _options.TotalSteps) Record(forward, loss, lr, sparsityScale, progress);
    }

    // The batch on the training device as float32, scaled into the SAE's space: x_sae = s · x_raw.
    private Tensor Input(ActivationBatch batch, bool scaled = true)
    {
        var a = batch.Activations;
        if (a.Dim != 2 || a.Size(1) != _sae.Options.DIn)
            throw new RunnerException($"activation batch has shape [{string.Join(", ", a.Shape)}], but the SAE expects [{_options.BatchSize}, {_sae.Options.DIn}]");
        if (batch.Count != _options.BatchSize)
            throw new RunnerException($"the activation source gave a batch of {batch.Count} rows at row {_tokens}; the trainer asked for {_options.BatchSize}");
        var x = a.To(_options.Device, DType.Float32);
        return !scaled || _sae.InputScale == 1 ? x : x * _sae.InputScale;
    }

    private RunnerException Diverged(SaeForward forward, Tensor x, double loss)
    {
        var bad = new List<string>();
        if (!double.IsFinite(forward.Mse.ToDouble())) bad.Add("mse");
        foreach (var (name, term) in forward.Terms.OrderBy(t => t.Key, StringComparer.Ordinal))
            if (!double.IsFinite(term.ToDouble())) bad.Add(name);
        var terms = bad.Count > 0 ? $"non-finite terms: {string.Join(", ", bad)}" : "every term is finite, their weighted sum is not";
        var input = x.IsFinite().All().ToBoolean() ? "" : "; the input batch itself holds NaN or infinite values";
        return new RunnerException(
            $"training diverged at step {_step + 1} of {_options.TotalSteps} (after {_tokens} tokens): the loss is {loss} ({terms}{input}). " +
            "Nothing was saved. Try a lower learning rate, gradient clipping or input normalization.");
    }

    private void Record(SaeForward forward, double loss, double lr, double sparsityScale, IProgress<TrainingPoint>? progress)
    {
        var point = new TrainingPoint
        {
            Step = _step,
            Tokens = _tokens,
            TotalSteps = _options.TotalSteps,
            Loss = loss,
            Mse = forward.Mse.ToDouble(),
            L0 = forward.L0.ToDouble(),
            Terms = forward.Terms.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(t => t.Key, t => t.Value.ToDouble()),
            DeadFraction = _dead.DeadFraction(),
            Lr = lr,
            SparsityScale = sparsityScale,
        };
        _curve.Add(point);
        progress?.Report(point);
    }

    /// <summary>
    /// Before the first step: s = √d_in / mean‖x‖ over the first NormalizationRows rows (when normalizing),
    /// then the SAE's data-dependent init on the first InitSampleRows rows in its space (TopK: b_dec = geometric median).
    /// <paramref name="batches"/> are the stream's first batches (from row 0); it reads (and disposes) only
    /// as many as <see cref="InitializationRows"/> needs.
    /// </summary>
    public void Initialize(IEnumerable<ActivationBatch> batches, CancellationToken cancellationToken = default)
    {
        var normRows = _options.Normalize ? Math.Min(_options.NormalizationRows, _options.TrainingTokens) : 0;
        var sampleRows = Math.Min(_options.InitSampleRows, _options.TrainingTokens);
        using var scope = TensorScope.Enter();
        var sample = new List<Tensor>();
        double sumNorms = 0;
        long rows = 0;
        foreach (var batch in batches)
        {
            using (batch)
            using (var inner = TensorScope.Enter())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var x = Input(batch, scaled: false);
                if (rows < normRows) sumNorms += x.Narrow(0, 0, Math.Min(batch.Count, normRows - rows)).Norm(2, 1).To(DType.Float64).Sum().ToDouble();
                if (rows < sampleRows) sample.Add(inner.Keep(x.Narrow(0, 0, Math.Min(batch.Count, sampleRows - rows)).Clone()));
                rows += batch.Count;
            }
            if (rows >= Math.Max(normRows, sampleRows)) break;
        }
        if (rows == 0) throw new RunnerException("the activation source is empty");
        if (_options.Normalize)
        {
            var mean = sumNorms / normRows;
            if (!(mean > 0) || !double.IsFinite(mean))
                throw new RunnerException($"cannot normalize the inputs: the mean activation norm over the first {normRows} rows is {mean}");
            _sae.InputScale = Math.Sqrt(_sae.Options.DIn) / mean;
        }
        var all = sample.Count == 1 ? sample[0] : Tensors.Cat(sample);
        using (TorchRuntime.NoGrad()) _sae.InitializeDecoderBias(_sae.InputScale == 1 ? all : all * _sae.InputScale);
    }

    private long[] TokensSinceFired()
    {
        using var scope = TensorScope.Enter();
        return _dead.TokensSinceFired.Cpu().ToArray<long>();
    }

    /// <summary>Frees the optimizer state, the random stream and the dead-latent counters (not the SAE).</summary>
    public void Dispose()
    {
        _adam.Dispose();
        Random.Dispose();
        _dead.Dispose();
    }
}
