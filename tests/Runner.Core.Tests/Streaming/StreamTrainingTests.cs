using Runner.Core.Streaming;
using Runner.Core.Tests.TestKit;
using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Core.Tests.Streaming;

public sealed class StreamTrainingTests
{
    private const int DIn = 6;
    private const int DSae = 24;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static TrainerOptions Options(int batch = 16, int steps = 30, double lr = 1e-2) => new()
    {
        TotalTokens = steps * batch,
        BatchSize = batch,
        Lr = lr,
        LogEvery = 1,
        DeadWindow = 64,
        NormalizationRows = 40,
        InitSampleRows = 24,
        Seed = 7,
    };

    /// <summary>A synchronous IProgress.</summary>
    private sealed class Callback<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }

    // Trains SAEs (one per (offset, options)) together from one stream of width 2·DIn; returns each one's parameters and curve.
    private static List<(float[][] Parameters, string Curve, Exception? Error)> Train(params (int Offset, TrainerOptions Options)[] specs) =>
        Train(null, null, specs);

    private static List<(float[][] Parameters, string Curve, Exception? Error)> Train(ICheckpointStore? store, CancellationToken? cancel,
        params (int Offset, TrainerOptions Options)[] specs)
    {
        using var scope = TensorScope.Enter();
        var saes = specs.Select(_ => new TestReluSae(DIn, DSae, seed: 3)).ToList();
        var trainers = specs.Select((s, i) => new Trainer(saes[i], s.Options)).ToList();
        try
        {
            var members = specs.Select((s, i) => new StreamMember { Trainer = trainers[i], Offset = s.Offset, Width = DIn, Checkpoints = store }).ToList();
            var producer = new CountingProducer(2 * DIn, chunk: 11, noise: true);
            StreamTraining.Run(members, start => ShuffleBuffer.Read(producer, 48, 5, start, Ct), () => 0, 1, cancel ?? Ct);
            return members.Select((m, i) => (
                saes[i].Parameters.Select(p => p.Value.Detach().Cpu().ToArray<float>()).ToArray(),
                System.Text.Json.JsonSerializer.Serialize(m.Result?.Curve),
                m.Error)).ToList();
        }
        finally
        {
            foreach (var t in trainers) t.Dispose();
            foreach (var s in saes) s.Dispose();
        }
    }

    [Fact]
    public void Several_SAEs_trained_from_one_stream_match_each_trained_alone_bit_for_bit()
    {
        var a = (0, Options());
        var b = (DIn, Options(batch: 20, steps: 17, lr: 3e-3));     // another column block, batch size and length
        var together = Train(a, b);
        var aloneA = Train(a).Single();
        var aloneB = Train(b).Single();
        Assert.Equal(aloneA.Parameters, together[0].Parameters);
        Assert.Equal(aloneA.Curve, together[0].Curve);
        Assert.Equal(aloneB.Parameters, together[1].Parameters);
        Assert.Equal(aloneB.Curve, together[1].Curve);
        Assert.NotEqual(together[0].Parameters, together[1].Parameters);
    }

    [Fact]
    public void A_stream_cancelled_midway_resumes_from_its_checkpoint_and_matches_an_uninterrupted_run()
    {
        var options = Options() with { CheckpointEvery = 80 };
        var uninterrupted = Train((0, options)).Single();

        using var store = new MemoryCheckpointStore();
        using var cts = new CancellationTokenSource();
        using (var scope = TensorScope.Enter())
        using (var sae = new TestReluSae(DIn, DSae, seed: 3))
        using (var trainer = new Trainer(sae, options))
        {
            var member = new StreamMember
            {
                Trainer = trainer, Width = DIn, Checkpoints = store,
                Progress = new Callback<TrainingPoint>(p => { if (p.Step == 13) cts.Cancel(); }),
            };
            var producer = new CountingProducer(2 * DIn, chunk: 11, noise: true);
            Assert.ThrowsAny<OperationCanceledException>(() =>
                StreamTraining.Run([member], start => ShuffleBuffer.Read(producer, 48, 5, start, cts.Token), () => 0, 1, cts.Token));
        }
        var resumed = Train(store, null, (0, options)).Single();
        Assert.Equal(uninterrupted.Parameters, resumed.Parameters);
        Assert.Equal(uninterrupted.Curve, resumed.Curve);
    }

    [Fact]
    public void A_diverging_SAE_fails_alone_and_the_others_finish()
    {
        var results = Train((0, Options()), (0, Options(lr: 1e30) with { GradClip = 0 }), (DIn, Options()));
        Assert.Null(results[0].Error);
        Assert.Contains("diverged", results[1].Error?.Message);
        Assert.Null(results[2].Error);
        Assert.Equal(Train((DIn, Options())).Single().Parameters, results[2].Parameters);
    }

    [Fact]
    public void Streamed_training_leaves_no_tensor_alive_on_either_thread()
    {
        Train((0, Options(steps: 5)), (DIn, Options(steps: 7)));   // warm-up
        var before = Sae.SaeTestKit.SettledLiveCount();
        Train((0, Options(steps: 5)), (DIn, Options(steps: 7)));
        Assert.Equal(before, Sae.SaeTestKit.SettledLiveCount());
    }
}
