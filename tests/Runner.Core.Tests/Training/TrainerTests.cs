using Runner.Core.Tests.Sae;
using System.Text.Json;
using Runner.Core.Tests.TestKit;
using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Core.Tests.Training;

public sealed class TrainerTests
{
    private const int DIn = 8;
    private const int DSae = 32;

    private static TrainerOptions Options(int steps = 20, int batch = 16) => new()
    {
        TotalTokens = steps * batch,
        BatchSize = batch,
        Lr = 1e-2,
        LrDecayFraction = 0.2,
        SparsityWarmupFraction = 0.25,
        GradClip = 1.0,
        DeadWindow = 64,
        LogEvery = 3,
        NormalizationRows = 48,
        InitSampleRows = 32,
        Seed = 7,
    };

    /// <summary>A synchronous IProgress (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Callback<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Json(IReadOnlyList<TrainingPoint> curve) => JsonSerializer.Serialize(curve);

    private static void AssertSameParameters(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, t) in expected) Assert.True(t.Equal(actual[name]), $"{name} differs");
    }

    [Fact]
    public void Cancelled_run_resumed_from_its_checkpoint_matches_an_uninterrupted_run_bit_for_bit()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(100, DIn);             // not a multiple of the batch: epochs wrap mid-batch
        var options = Options();

        using var full = new TestReluSae(DIn, DSae, seed: 3);
        TrainingResult fullResult;
        using (var trainer = new Trainer(full, options)) fullResult = trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct);

        using var store = new MemoryCheckpointStore();
        using var first = new TestReluSae(DIn, DSae, seed: 3);
        using var cts = new CancellationTokenSource();
        using (var trainer = new Trainer(first, options with { LogEvery = 1 }))
        {
            var progress = new Callback<TrainingPoint>(p => { if (p.Step == 10) cts.Cancel(); });
            Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(ActivationSources.Cycle(rows), store, progress, cts.Token));
            Assert.Equal(10, trainer.Step);
        }
        Assert.Single(store.Saves);

        using var second = new TestReluSae(DIn, DSae, seed: 99);   // a different init: everything must come from the checkpoint
        var source = new Sources.Recording(ActivationSources.Cycle(rows));
        TrainingResult resumed;
        using (var trainer = new Trainer(second, options)) resumed = trainer.Train(source, store, cancellationToken: Ct);

        Assert.True(resumed.Resumed);
        Assert.Equal([10 * 16L], source.OpenedAt);                 // no initialization pass: the scale came from the checkpoint
        Assert.Empty(second.InitSamples);
        AssertSameParameters(full.Snapshot(), second.Snapshot());
        Assert.Equal(fullResult.InputScale, resumed.InputScale);
        Assert.Equal(fullResult.TokensSinceFired, resumed.TokensSinceFired);
        Assert.Equal(Json(fullResult.Curve), Json(resumed.Curve.Where(p => p.Step % 3 == 0 || p.Step == 20).ToList()));
        Assert.Equal(Json(fullResult.Curve.Where(p => p.Step > 10).ToList()), Json(resumed.Curve.Where(p => p.Step > 10).ToList()));
    }

    [Fact]
    public void Run_resumed_from_a_periodic_checkpoint_matches_an_uninterrupted_run_bit_for_bit()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        var options = Options() with { CheckpointEvery = 80 };    // every 5 steps of 16 rows; none after the last

        using var store = new MemoryCheckpointStore();
        using var full = new TestReluSae(DIn, DSae, seed: 3);
        TrainingResult fullResult;
        using (var trainer = new Trainer(full, options)) fullResult = trainer.Train(ActivationSources.Cycle(rows), store, cancellationToken: Ct);
        Assert.Equal([5L, 10, 15], store.Saves.Select(s => JsonDocument.Parse(s.State).RootElement.GetProperty("step").GetInt64()));

        store.LoadIndex = 1;                                       // resume after step 10
        using var resumedSae = new TestReluSae(DIn, DSae, seed: 3);
        TrainingResult resumed;
        using (var trainer = new Trainer(resumedSae, options)) resumed = trainer.Train(ActivationSources.Cycle(rows), store, cancellationToken: Ct);

        AssertSameParameters(full.Snapshot(), resumedSae.Snapshot());
        Assert.Equal(Json(fullResult.Curve), Json(resumed.Curve));
        Assert.Equal(20, resumed.Steps);
        Assert.Equal(320, resumed.Tokens);
    }

    [Fact]
    public void Checkpoint_holds_parameters_buffers_adam_moments_generator_and_dead_counters()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae);
        using var store = new MemoryCheckpointStore();
        using (var trainer = new Trainer(sae, Options(steps: 4)))
        {
            trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct);
            trainer.SaveCheckpoint(store);
        }
        var (tensors, state) = store.Saves[0];
        string[] expected =
        [
            "adam.exp_avg.W_dec", "adam.exp_avg.W_enc", "adam.exp_avg.b_dec", "adam.exp_avg.b_enc",
            "adam.exp_avg_sq.W_dec", "adam.exp_avg_sq.W_enc", "adam.exp_avg_sq.b_dec", "adam.exp_avg_sq.b_enc",
            "buffer.calls", "dead.tokens_since_fired", "generator.state",
            "param.W_dec", "param.W_enc", "param.b_dec", "param.b_enc",
        ];
        Assert.Equal(expected, tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(DType.UInt8, tensors["generator.state"].DType);
        Assert.Equal(DType.Int64, tensors["dead.tokens_since_fired"].DType);
        Assert.Equal(4, tensors["buffer.calls"].ToInt64());
        var json = JsonDocument.Parse(state).RootElement;
        Assert.Equal(4, json.GetProperty("step").GetInt64());
        Assert.Equal(64, json.GetProperty("tokens").GetInt64());
        Assert.Equal(4, json.GetProperty("adam_steps").GetProperty("W_enc").GetInt64());
        Assert.Equal(sae.InputScale, json.GetProperty("input_scale").GetDouble());
    }

    [Fact]
    public void Checkpoint_of_another_run_is_rejected_with_what_differs()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var store = new MemoryCheckpointStore();
        using (var sae = new TestReluSae(DIn, DSae))
        using (var trainer = new Trainer(sae, Options(steps: 2)))
        {
            trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct);
            trainer.SaveCheckpoint(store);
        }
        using var other = new TestReluSae(DIn, DSae);
        using var resumer = new Trainer(other, Options(steps: 4, batch: 8));
        var e = Assert.Throws<RunnerException>(() => resumer.Train(ActivationSources.Cycle(rows), store, cancellationToken: Ct));
        Assert.Equal("the training checkpoint belongs to a different run: batch size 16 (now 8); 2 total steps (now 4). Delete it to start over.", e.Message);
    }

    [Fact]
    public void Cancelled_run_without_a_store_just_throws()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae);
        using var trainer = new Trainer(sae, Options());
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(ActivationSources.Cycle(rows), null, null, cts.Token));
    }

    [Fact]
    public void Non_finite_loss_stops_training_naming_the_step_and_the_term()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae) { NanAtCall = 7 };
        using var store = new MemoryCheckpointStore();
        using var trainer = new Trainer(sae, Options());
        var e = Assert.Throws<RunnerException>(() => trainer.Train(ActivationSources.Cycle(rows), store, cancellationToken: Ct));
        Assert.Equal(
            "training diverged at step 7 of 20 (after 96 tokens): the loss is NaN (non-finite terms: l1). " +
            "Nothing was saved. Try a lower learning rate, gradient clipping or input normalization.", e.Message);
        Assert.Equal(6, sae.AfterSteps);                            // the bad step never reached the optimizer
        Assert.Empty(store.Saves);
    }

    [Fact]
    public void Non_finite_input_is_named_in_the_divergence_message()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using (TorchRuntime.NoGrad()) rows.Narrow(0, 40, 1).Fill_(double.PositiveInfinity);
        using var sae = new TestReluSae(DIn, DSae);
        using var trainer = new Trainer(sae, Options() with { Normalize = false });
        var e = Assert.Throws<RunnerException>(() => trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct));
        Assert.StartsWith("training diverged at step 3 of 20 (after 32 tokens)", e.Message);
        Assert.Contains("; the input batch itself holds NaN or infinite values)", e.Message);
    }

    [Fact]
    public void Learning_rate_decays_and_sparsity_warms_up_by_step()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae);
        using var trainer = new Trainer(sae, Options() with { LogEvery = 1 });
        var curve = trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct).Curve;

        Assert.Equal(20, curve.Count);
        // 20 steps: warm-up over the first 5 (0, 0.2, …, 0.8, then 1); decay over the last 4 (lr · 4/4, 3/4, 2/4, 1/4)
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8, 1, 1], curve.Take(7).Select(p => p.SparsityScale));
        Assert.Equal(sae.Seen.Select(s => s.SparsityScale), curve.Select(p => p.SparsityScale));
        Assert.Equal([1e-2, 1e-2, 1e-2 * 4 / 4, 1e-2 * 3 / 4, 1e-2 * 2 / 4, 1e-2 * 1 / 4], curve.Skip(14).Select(p => p.Lr));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => (long)i), curve.Select(p => p.Step));
        Assert.Equal(Enumerable.Range(1, 20).Select(i => i * 16L), curve.Select(p => p.Tokens));
        Assert.All(curve, p => Assert.Equal(["l1"], p.Terms.Keys));
        Assert.Equal(20, sae.BeforeSteps);
        Assert.Equal(20, sae.AfterSteps);
    }

    [Fact]
    public void Curve_points_come_every_log_every_steps_and_at_the_last_step()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae);
        using var trainer = new Trainer(sae, Options());
        var reported = new List<long>();
        var result = trainer.Train(ActivationSources.Cycle(rows), progress: new Callback<TrainingPoint>(p => reported.Add(p.Step)), cancellationToken: Ct);
        Assert.Equal([3L, 6, 9, 12, 15, 18, 20], reported);
        Assert.Equal(reported, result.Curve.Select(p => p.Step));
        Assert.All(result.Curve, p => Assert.True(double.IsFinite(p.Loss) && p.Mse > 0 && p.L0 > 0));
    }

    [Fact]
    public void Normalization_scales_inputs_to_mean_norm_sqrt_d_in()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        var meanNorm = rows.Narrow(0, 0, 48).Norm(2, 1).To(DType.Float64).Mean().ToDouble();
        using var sae = new TestReluSae(DIn, DSae);
        using var trainer = new Trainer(sae, Options(steps: 3));   // normalization sample: the first 48 rows
        var result = trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct);
        Assert.Equal(Math.Sqrt(DIn) / meanNorm, result.InputScale, 1e-6);
        Assert.Equal(result.InputScale, sae.InputScale);
        Assert.Equal(Math.Sqrt(DIn), sae.Seen.Take(3).Average(s => s.MeanNorm), 1e-4);   // the SAE saw the scaled rows 0..47
        var expectedSampleNorm = rows.Narrow(0, 0, 32).Norm(2, 1).To(DType.Float64).Mean().ToDouble() * result.InputScale;
        var init = Assert.Single(sae.InitSamples);                 // the first 32 rows, scaled, once
        Assert.Equal(32, init.Rows);
        Assert.Equal(expectedSampleNorm, init.MeanNorm, 1e-4);
    }

    [Fact]
    public void Without_normalization_the_input_scale_is_left_alone()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae) { InputScale = 1 };
        using var trainer = new Trainer(sae, Options(steps: 2) with { Normalize = false });
        Assert.Equal(1, trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct).InputScale);
    }

    [Fact]
    public void Latents_that_never_fire_are_dead_once_the_window_has_passed()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae);
        using (TorchRuntime.NoGrad()) sae.Parameters[1].Value.Narrow(0, 0, 4).Fill_(-1000.0);   // b_enc: latents 0..3 never fire
        using var trainer = new Trainer(sae, Options() with { LogEvery = 1, Lr = 1e-4 });
        var result = trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct);

        // window 64 tokens = 4 steps of 16: the four silent latents become dead after step 4
        Assert.Equal([0L, 0, 0, 0, 4, 4], sae.Seen.Take(6).Select(s => s.Dead));
        Assert.Equal(4.0 / DSae, result.Curve[3].DeadFraction);
        Assert.Equal(4.0 / DSae, result.DeadFraction);
        Assert.Equal(Enumerable.Repeat(320L, 4), result.TokensSinceFired.Take(4));
    }

    [Fact]
    public void Dead_window_is_capped_at_the_run_length()
    {
        var options = Options(steps: 10, batch: 16) with { DeadWindow = 10_000_000 };
        Assert.Equal(160, options.EffectiveDeadWindow);
        Assert.Equal(10_000_000, (options with { TotalTokens = 100_000_000 }).EffectiveDeadWindow);
    }

    [Fact]
    public void Bfloat16_precision_runs_the_forward_pass_under_autocast_with_float32_weights()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae);
        using var trainer = new Trainer(sae, Options(steps: 4) with { Precision = DType.BFloat16 });
        var result = trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct);
        Assert.All(sae.Seen, s => Assert.True(s.Autocast));
        Assert.False(TorchRuntime.IsAutocastEnabled(Device.Cpu));
        Assert.All(sae.Parameters, p => Assert.Equal(DType.Float32, p.Value.DType));
        Assert.All(result.Curve, p => Assert.True(double.IsFinite(p.Loss)));
    }

    [Fact]
    public void Resampling_run_resumed_from_a_checkpoint_matches_an_uninterrupted_run_and_leaks_no_tensors()
    {
        using var rows = Sources.RandomRows(64, DIn);
        // every 4 steps up to step 10 of 20: resamplings after steps 4 and 8, one on each side of the checkpoint at step 5
        var options = Options() with { CheckpointEvery = 80, Resample = new ResampleOptions { EverySteps = 4, DuplicateCosine = 0.5 } };
        var before = SaeTestKit.SettledLiveCount();
        using (var scope = TensorScope.Enter())
        {
            using var store = new MemoryCheckpointStore();
            using var full = new TestReluSae(DIn, DSae, seed: 3);
            TrainingResult fullResult;
            using (var trainer = new Trainer(full, options)) fullResult = trainer.Train(ActivationSources.Cycle(rows), store, cancellationToken: Ct);
            Assert.True(fullResult.ResampledDuplicates > 0, "32 latents in 8 dimensions: some pairs are above 0.5");

            store.LoadIndex = 0;                                   // resume after step 5
            using var resumedSae = new TestReluSae(DIn, DSae, seed: 3);
            TrainingResult resumed;
            using (var trainer = new Trainer(resumedSae, options)) resumed = trainer.Train(ActivationSources.Cycle(rows), store, cancellationToken: Ct);

            AssertSameParameters(full.Snapshot(), resumedSae.Snapshot());
            Assert.Equal((fullResult.ResampledDead, fullResult.ResampledDuplicates), (resumed.ResampledDead, resumed.ResampledDuplicates));
            Assert.Equal(fullResult.TokensSinceFired, resumed.TokensSinceFired);
        }
        Assert.Equal(before, SaeTestKit.SettledLiveCount());
    }

    [Fact]
    public void Every_batch_is_disposed_and_training_leaks_no_tensors()
    {
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae);
        var source = new Sources.Recording(ActivationSources.Cycle(rows));
        var before = SaeTestKit.SettledLiveCount();
        using (var trainer = new Trainer(sae, Options()))
            trainer.Train(source, cancellationToken: Ct);
        Assert.Equal(before, SaeTestKit.SettledLiveCount());
        Assert.Equal(3 + 20, source.Given.Count);                   // 48 rows for the input scale, then 20 steps
        Assert.All(source.Given, b => Assert.True(b.Activations.IsDisposed));
    }

    [Fact]
    public void Source_that_ends_early_is_an_error_naming_the_rows()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn);
        using var sae = new TestReluSae(DIn, DSae);
        using var trainer = new Trainer(sae, Options());
        var e = Assert.Throws<RunnerException>(() => trainer.Train(Sources.Finite(rows, 5), cancellationToken: Ct));
        Assert.Equal("the activation source ended after 80 rows, but training needs 320 (20 steps of 16)", e.Message);
    }

    [Fact]
    public void Batch_of_the_wrong_width_is_an_error()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(64, DIn + 1);
        using var sae = new TestReluSae(DIn, DSae);
        using var trainer = new Trainer(sae, Options() with { Normalize = false });
        var e = Assert.Throws<RunnerException>(() => trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct));
        Assert.Equal("activation batch has shape [16, 9], but the SAE expects [16, 8]", e.Message);
    }

    [Fact]
    public void Options_out_of_range_are_rejected()
    {
        using var sae = new TestReluSae(DIn, DSae);
        var e = Assert.Throws<ArgumentException>(() => new Trainer(sae, Options() with { Precision = DType.Float16 }));
        Assert.Equal("trainer option Precision must be float32 or bfloat16, got float16", e.Message);
    }

    [Fact]
    public void Training_reduces_the_reconstruction_error()
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(256, DIn);
        using var sae = new TestReluSae(DIn, DSae);
        using var trainer = new Trainer(sae, Options(steps: 200, batch: 32) with { LogEvery = 50 });
        var curve = trainer.Train(ActivationSources.Cycle(rows), cancellationToken: Ct).Curve;
        Assert.True(curve[^1].Mse < 0.2 * curve[0].Mse, $"mse {curve[0].Mse} -> {curve[^1].Mse}");
    }
}
