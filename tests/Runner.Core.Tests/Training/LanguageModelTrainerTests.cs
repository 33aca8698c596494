using Runner.Core.Models;
using Runner.Core.Tests.Sae;
using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Core.Tests.Training;

public sealed class LanguageModelTrainerTests
{
    private const int Vocab = 16;
    private const int Context = 12;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ModelConfig Config() =>
        ModelConfig.Create("gpt2", Vocab, 32, 1, 2, Context, dMlp: 64) with { Activation = "gelu", TieWordEmbeddings = false };

    private static TransformerModel Model(ulong seed = 5) => TransformerModel.CreateRandom(Config(), seed, Device.Cpu, DType.Float32);

    private static LanguageModelTrainerOptions Options(int steps = 300) => new()
    {
        Steps = steps,
        BatchSize = 16,
        Context = Context,
        Lr = 1e-2,
        WarmupSteps = 10,
        LogEvery = 50,
        Seed = 1,
        EvalSequences = 32,
        EvalBatchSize = 8,
    };

    // A fixed 10-token cycle (a permutation of 0..9): every next token follows from the current one.
    private static int[] Cycle(int length, int offset = 0)
    {
        int[] pattern = [3, 7, 1, 9, 0, 4, 8, 2, 6, 5];
        return [.. Enumerable.Range(offset, length).Select(i => pattern[i % pattern.Length])];
    }

    [Fact]
    public void The_loss_falls_far_below_uniform_on_a_learnable_stream()
    {
        using var model = Model();
        var untrained = LanguageModelTrainer.EvalLoss(model, Cycle(2000, 3), Context, 32, 8);
        Assert.InRange(untrained, Math.Log(Vocab) - 0.3, Math.Log(Vocab) + 0.3);   // small random logits: about uniform

        var points = new List<LanguageModelPoint>();
        var result = LanguageModelTrainer.Train(model, Cycle(5000), Cycle(2000, 3), Options(), new Inline(points.Add), Ct);

        Assert.True(result.EvalLoss < 0.1, $"eval loss {result.EvalLoss} (uniform: {Math.Log(Vocab):F2})");
        Assert.True(result.TrainLoss < 0.2, $"train loss {result.TrainLoss}");
        Assert.Equal([50, 100, 150, 200, 250, 300], result.Curve.Select(p => p.Step));
        Assert.Equal(result.Curve, points);
        Assert.True(result.Curve[0].Loss > result.Curve[^1].Loss + 0.5, string.Join(", ", result.Curve.Select(p => p.Loss.ToString("F3"))));
        Assert.Equal(300L * 16 * Context, result.Tokens);
        Assert.Equal(result.Tokens, result.Curve[^1].Tokens);
        Assert.True(result.TokensPerSecond > 0);
        Assert.All(model.Parameters, p => Assert.False(p.Value.RequiresGrad));
        Assert.All(model.Parameters, p => Assert.Null(p.Value.Grad));
    }

    [Fact]
    public void The_same_seed_trains_the_same_model()
    {
        using var a = Model();
        using var b = Model();
        var ra = LanguageModelTrainer.Train(a, Cycle(3000), Cycle(500, 1), Options(30) with { LogEvery = 10 }, cancellationToken: Ct);
        var rb = LanguageModelTrainer.Train(b, Cycle(3000), Cycle(500, 1), Options(30) with { LogEvery = 10 }, cancellationToken: Ct);
        Assert.Equal(ra.Curve.Select(p => p.Loss), rb.Curve.Select(p => p.Loss));
        Assert.Equal(ra.EvalLoss, rb.EvalLoss);
        foreach (var ((name, pa), (_, pb)) in a.Parameters.Zip(b.Parameters))
            Assert.True(pa.Equal(pb), name);
    }

    [Fact]
    public void Weight_decay_is_decoupled_and_spares_biases_and_norms()
    {
        // One step from the same weights on the same batch: AdamW's update differs from Adam's only by −lr·wd·p₀
        // on matrices (a coupled L2 term would change the normalized step instead), and not at all on vectors.
        var options = Options(1) with { WarmupSteps = 0, Lr = 1e-3 };
        var lr = options.LearningRate(0);
        using var plain = Model();
        using var decayed = Model();
        using var initial = Model();
        LanguageModelTrainer.Train(plain, Cycle(500), Cycle(100), options with { WeightDecay = 0 }, cancellationToken: Ct);
        LanguageModelTrainer.Train(decayed, Cycle(500), Cycle(100), options with { WeightDecay = 0.5 }, cancellationToken: Ct);
        using var scope = TensorScope.Enter();
        for (var i = 0; i < initial.Parameters.Count; i++)
        {
            var (name, p0) = initial.Parameters[i];
            var difference = decayed.Parameters[i].Value - plain.Parameters[i].Value;
            var expected = p0.Dim >= 2 ? p0 * (-lr * 0.5) : p0.ZerosLike();
            var error = (difference - expected).Abs().Max().ToDouble();
            Assert.True(error < 1e-7, $"{name}: max error {error}");
            if (p0.Dim >= 2) Assert.True(difference.Abs().Max().ToDouble() > 1e-6, $"{name} was not decayed");
        }
    }

    [Fact]
    public void The_schedule_warms_up_linearly_then_decays_by_cosine_to_a_tenth()
    {
        var o = new LanguageModelTrainerOptions { Steps = 1000, Lr = 2.0, WarmupSteps = 50 };
        Assert.Equal(2.0 / 50 * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(0))), o.LearningRate(0), 12);
        Assert.Equal(2.0 * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * 49 / 1000))), o.LearningRate(49), 12);
        Assert.Equal(2.0 * 0.55, o.LearningRate(500), 12);
        Assert.Equal(0.2, o.LearningRate(1000), 12);
        Assert.Equal(2.0, new LanguageModelTrainerOptions { Steps = 10, Lr = 2.0, WarmupSteps = 0 }.LearningRate(0), 12);
    }

    [Fact]
    public void Training_leaks_no_tensors()
    {
        using var model = Model();
        void Run() => LanguageModelTrainer.Train(model, Cycle(1000), Cycle(200), Options(5) with { LogEvery = 2 }, cancellationToken: Ct);
        Run();
        var before = SaeTestKit.SettledLiveCount();
        Run();
        Assert.Equal(before, SaeTestKit.SettledLiveCount());
    }

    [Fact]
    public void Cancellation_stops_training_and_leaves_the_parameters_without_gradients()
    {
        using var model = Model();
        using var cts = new CancellationTokenSource();
        var progress = new Inline(p => { if (p.Step == 4) cts.Cancel(); });
        Assert.Throws<OperationCanceledException>(() =>
            LanguageModelTrainer.Train(model, Cycle(1000), Cycle(200), Options(100) with { LogEvery = 2 }, progress, cts.Token));
        Assert.All(model.Parameters, p => Assert.False(p.Value.RequiresGrad));
        Assert.All(model.Parameters, p => Assert.Null(p.Value.Grad));
    }

    [Fact]
    public void Streams_that_do_not_fit_the_model_are_rejected_by_what_is_wrong()
    {
        using var model = Model();
        var e = Assert.Throws<RunnerException>(() => LanguageModelTrainer.Train(model, [.. Cycle(100), Vocab], Cycle(100), Options(1), cancellationToken: Ct));
        Assert.Equal($"the training stream has token id {Vocab} at position 100, outside the model's vocabulary of {Vocab}", e.Message);
        e = Assert.Throws<RunnerException>(() => LanguageModelTrainer.Train(model, Cycle(Context + 1), Cycle(100), Options(1), cancellationToken: Ct));
        Assert.Contains($"the training stream has {Context + 1} tokens", e.Message);
        e = Assert.Throws<RunnerException>(() => LanguageModelTrainer.Train(model, Cycle(100), Cycle(100), Options(1) with { Context = Context + 1 }, cancellationToken: Ct));
        Assert.Equal($"the training context ({Context + 1} tokens) is longer than the model's {Context} positions", e.Message);
    }

    private sealed class Inline(Action<LanguageModelPoint> report) : IProgress<LanguageModelPoint>
    {
        public void Report(LanguageModelPoint value) => report(value);
    }
}

public sealed class NGramBaselinesTests
{
    [Fact]
    public void Unigram_and_bigram_losses_match_hand_computed_smoothed_counts()
    {
        var (unigram, bigram) = NGramBaselines.Losses([0, 1, 0, 1], [0, 1, 0], vocab: 2, smoothing: 0.1);
        Assert.Equal(Math.Log(2), unigram, 12);                                           // (2 + 0.1) / (4 + 0.2) each
        Assert.Equal(-(Math.Log(2.1 / 2.2) + Math.Log(1.1 / 1.2)) / 2, bigram, 12);      // rows: 0 → [0.1, 2.1], 1 → [1.1, 0.1]
    }
}
