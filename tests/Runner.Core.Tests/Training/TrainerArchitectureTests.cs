using System.Text.Json;
using Runner.Core.Sae;
using Runner.Core.Tests.TestKit;
using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Core.Tests.Training;

/// <summary>The trainer's resume contract with every real architecture (their buffers and step hooks included).</summary>
public sealed class TrainerArchitectureTests
{
    public static TheoryData<SaeKind, SaeKernels> Architectures => new()
    {
        { SaeKind.Relu, SaeKernels.Auto },
        { SaeKind.TopK, SaeKernels.Dense },
        { SaeKind.TopK, SaeKernels.Sparse },
        { SaeKind.BatchTopK, SaeKernels.Auto },
        { SaeKind.JumpRelu, SaeKernels.Auto },
    };

    private static ISparseAutoencoder Create(SaeKind kind, SaeKernels kernels)
    {
        using var generator = new Generator(11);
        return SaeFactory.Create(new SaeOptions { DIn = 16, DSae = 64, Kind = kind, K = 4, Kernels = kernels }, generator, Device.Cpu);
    }

    private static Dictionary<string, Tensor> Snapshot(ISparseAutoencoder sae)
    {
        using var scope = TensorScope.Enter();
        return sae.Parameters.Concat(sae.Buffers).ToDictionary(p => p.Key, p => scope.Keep(p.Value.Detach().Clone()));
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void Resumed_run_matches_an_uninterrupted_run_bit_for_bit(SaeKind kind, SaeKernels kernels)
    {
        using var scope = TensorScope.Enter();
        using var rows = Sources.RandomRows(200, 16);
        var options = new TrainerOptions
        {
            TotalTokens = 24 * 32,
            BatchSize = 32,
            Lr = 3e-3,
            SparsityWarmupFraction = 0.5,
            DeadWindow = 128,                                        // latents die mid-run: AuxK and pre-act terms engage
            LogEvery = 4,
            CheckpointEvery = 12 * 32,
            NormalizationRows = 64,
            InitSampleRows = 64,
        };
        using var store = new MemoryCheckpointStore();
        using var full = Create(kind, kernels);
        TrainingResult expected;
        using (var trainer = new Trainer(full, options))
            expected = trainer.Train(ActivationSources.Cycle(rows), store, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Single(store.Saves);                                 // at step 12

        using var resumedSae = Create(kind, kernels);
        TrainingResult resumed;
        using (var trainer = new Trainer(resumedSae, options))
            resumed = trainer.Train(ActivationSources.Cycle(rows), store, cancellationToken: TestContext.Current.CancellationToken);

        var (a, b) = (Snapshot(full), Snapshot(resumedSae));
        Assert.Equal(a.Keys, b.Keys);
        foreach (var name in a.Keys) Assert.True(a[name].Equal(b[name]), $"{kind}: {name} differs after resume");
        Assert.Equal(JsonSerializer.Serialize(expected.Curve), JsonSerializer.Serialize(resumed.Curve));
        Assert.All(expected.Curve, p => Assert.True(double.IsFinite(p.Loss)));
    }
}
