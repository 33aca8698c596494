using System.Diagnostics;
using Runner.Core.Models;
using Runner.Torch;

namespace Runner.Core.Training;

/// <summary>
/// Pretrains a <see cref="TransformerModel"/> in place on a token stream with next-token cross entropy,
/// as the planted-topics proof of concept does (run.py, "2. LM"): each step draws <c>BatchSize</c> windows of
/// Context + 1 tokens at uniformly random offsets (a seeded generator), AdamW with decoupled weight decay
/// on every parameter of two or more dimensions (PyTorch's AdamW, nanoGPT's grouping: weight matrices and
/// embeddings decay; biases and norms do not), warm-up and cosine schedule
/// (<see cref="LanguageModelTrainerOptions.LearningRate"/>), global gradient clipping.
/// </summary>
public static class LanguageModelTrainer
{
    /// <summary>Steps averaged for <see cref="LanguageModelTrainingResult.TrainLoss"/>.</summary>
    private const int FinalLossSteps = 100;

    /// <summary>
    /// Trains <paramref name="model"/>'s parameters on <paramref name="train"/> for <see cref="LanguageModelTrainerOptions.Steps"/>
    /// steps, then measures the loss on <paramref name="eval"/> (<see cref="EvalLoss"/>). Reports each curve point to
    /// <paramref name="progress"/>; checks <paramref name="cancellationToken"/> every step (throws
    /// <see cref="OperationCanceledException"/>; the model is then partly trained). A non-finite loss throws
    /// <see cref="RunnerException"/> before the optimizer applies it. The parameters require gradients only
    /// while this runs.
    /// </summary>
    public static LanguageModelTrainingResult Train(TransformerModel model, ReadOnlySpan<int> train, ReadOnlySpan<int> eval,
        LanguageModelTrainerOptions options, IProgress<LanguageModelPoint>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int context = options.Context, vocab = model.Config.VocabSize;
        if (context > model.Config.MaxPositions)
            throw new RunnerException($"the training context ({context} tokens) is longer than the model's {model.Config.MaxPositions} positions");
        if (train.Length < context + 2)
            throw new RunnerException($"the training stream has {train.Length} tokens; windows of {context} + 1 need at least {context + 2}");
        if (eval.Length < context + 1)
            throw new RunnerException($"the eval stream has {eval.Length} tokens; one window needs {context + 1}");
        CheckIds(train, vocab, "training");
        CheckIds(eval, vocab, "eval");

        var parameters = model.Parameters.Select(p => p.Value).ToList();
        var decayed = parameters.Where(p => p.Dim >= 2).ToList();
        using var adam = new Adam([
            new ParamGroup(decayed) { Beta1 = options.Beta1, Beta2 = options.Beta2, Eps = options.Eps },
            new ParamGroup([.. parameters.Where(p => p.Dim < 2)]) { Beta1 = options.Beta1, Beta2 = options.Beta2, Eps = options.Eps },
        ]);
        using var generator = new Generator(options.Seed);
        var window = new long[options.BatchSize * (context + 1)];
        var curve = new List<LanguageModelPoint>();
        var losses = new double[options.Steps];
        var clock = Stopwatch.StartNew();
        foreach (var p in parameters) p.RequiresGrad = true;
        try
        {
            for (var step = 0; step < options.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using var scope = TensorScope.Enter();
                var lr = options.LearningRate(step);
                var batch = SampleWindows(train, window, options.BatchSize, context, generator).To(model.Device);  // [B, T+1]
                var logits = model.Forward(batch.Narrow(1, 0, context));                                          // [B, T, V]
                var loss = Functional.CrossEntropy(logits.Reshape(-1, vocab), batch.Narrow(1, 1, context).Reshape(-1));
                loss.Backward();
                if (options.GradClip > 0) Gradients.ClipNorm(parameters, options.GradClip);
                var value = loss.ToDouble();
                if (!double.IsFinite(value))
                    throw new RunnerException($"language-model training diverged at step {step + 1} of {options.Steps}: the loss is {value}. Try a lower learning rate.");
                using (TorchRuntime.NoGrad())
                    if (options.WeightDecay > 0)
                        foreach (var p in decayed) p.Mul_(1 - lr * options.WeightDecay);   // AdamW: decay before the Adam update
                adam.SetLearningRate(lr);
                adam.Step();
                adam.ZeroGrad();
                losses[step] = value;
                var done = step + 1;
                if (done % options.LogEvery == 0 || done == options.Steps)
                {
                    var from = curve.Count == 0 ? 0 : curve[^1].Step;
                    var point = new LanguageModelPoint
                    {
                        Step = done,
                        TotalSteps = options.Steps,
                        Loss = losses.AsSpan(from, done - from).ToArray().Average(),
                        Lr = lr,
                        Tokens = (long)done * options.BatchSize * context,
                    };
                    curve.Add(point);
                    progress?.Report(point);
                }
            }
        }
        finally
        {
            adam.ZeroGrad();
            foreach (var p in parameters) p.RequiresGrad = false;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        cancellationToken.ThrowIfCancellationRequested();
        return new LanguageModelTrainingResult
        {
            Steps = options.Steps,
            Tokens = (long)options.Steps * options.BatchSize * context,
            Curve = curve,
            TrainLoss = losses.AsSpan(Math.Max(0, options.Steps - FinalLossSteps)).ToArray().Average(),
            EvalLoss = EvalLoss(model, eval, context, options.EvalSequences, options.EvalBatchSize),
            Seconds = seconds,
        };
    }

    /// <summary>
    /// Mean next-token cross entropy (nats) of <paramref name="model"/> over up to <paramref name="sequences"/>
    /// consecutive, non-overlapping windows of <paramref name="context"/> + 1 tokens from the start of
    /// <paramref name="ids"/>, run <paramref name="batchSize"/> windows at a time without gradients.
    /// </summary>
    public static double EvalLoss(TransformerModel model, ReadOnlySpan<int> ids, int context, int sequences = 256, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(context, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var windows = Math.Min(sequences, ids.Length / (context + 1));
        if (windows < 1) throw new RunnerException($"the eval stream has {ids.Length} tokens; one window needs {context + 1}");
        CheckIds(ids, model.Config.VocabSize, "eval");
        using var noGrad = TorchRuntime.NoGrad();
        double total = 0;
        for (var first = 0; first < windows; first += batchSize)
        {
            using var scope = TensorScope.Enter();
            var n = Math.Min(batchSize, windows - first);
            var chunk = ids.Slice(first * (context + 1), n * (context + 1));
            var batch = Tensors.From(chunk, [n, context + 1]).To(model.Device, DType.Int64);   // [n, T+1]
            var logits = model.Forward(batch.Narrow(1, 0, context));
            total += Functional.CrossEntropy(logits.Reshape(-1, model.Config.VocabSize), batch.Narrow(1, 1, context).Reshape(-1), Reduction.Sum).ToDouble();
        }
        return total / ((double)windows * context);
    }

    // [batch, context + 1] int64 windows of the stream at offsets drawn uniformly from [0, length − context − 1).
    private static Tensor SampleWindows(ReadOnlySpan<int> stream, long[] window, int batch, int context, Generator generator)
    {
        long[] offsets;
        using (var scope = TensorScope.Enter())
            offsets = Tensors.RandInt(0, stream.Length - context - 1, [batch], generator).ToArray<long>();
        for (var b = 0; b < batch; b++)
        {
            var source = stream.Slice((int)offsets[b], context + 1);
            var target = window.AsSpan(b * (context + 1), context + 1);
            for (var i = 0; i < source.Length; i++) target[i] = source[i];
        }
        return Tensors.From<long>(window, batch, context + 1);
    }

    private static void CheckIds(ReadOnlySpan<int> ids, int vocab, string what)
    {
        for (var i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)vocab)
                throw new RunnerException($"the {what} stream has token id {ids[i]} at position {i}, outside the model's vocabulary of {vocab}");
    }
}
