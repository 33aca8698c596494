using Runner.Core.IO;
using Runner.Pipeline.Runs;
using Runner.Torch;

namespace Runner.Cli.Tests;

public sealed class ExportCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static readonly SaeLensConfig Config = new()
    {
        DIn = 8,
        DSae = 32,
        Architecture = "topk",
        K = 4,
        Metadata = new SaeLensMetadata { ModelName = "toy", HookName = "blocks.0.hook_mlp_out", ContextSize = 16 },
    };

    /// <summary>A run folder as the pipeline writes it, whose train stage entry holds <c>sae/</c> when asked.</summary>
    private string FabricateRun(bool withSae = true)
    {
        var entry = Path.Combine(_cli.Directory, ".runner", "cache", "train", "abc123");
        Directory.CreateDirectory(entry);
        if (withSae)
        {
            using var scope = TensorScope.Enter();
            using var g = new Generator(1);
            var weights = SaeLensFolder.ExpectedTensors(Config).ToDictionary(t => t.Name, t => Tensors.Randn([.. t.Shape], g));
            SaeLensFolder.Write(Path.Combine(entry, "sae"), Config, weights, Tensors.Full([32], 0.01));
        }
        var record = new RunRecord
        {
            Experiment = "exp",
            RunName = "k=4",
            Point = 0,
            SpecHash = "0123",
            Stages = [new RunStage { Name = "train", Key = "abc123", Status = StageStatus.Computed, Seconds = 1, Entry = entry }],
        };
        return RunFolder.Write(Path.Combine(_cli.Directory, "runs"), record, "name: exp\n");
    }

    [Fact]
    public void Export_copies_the_runs_SAELens_folder_and_it_loads()
    {
        var run = FabricateRun();
        Assert.Equal(0, _cli.Run("export", "runs/exp/k=4", "--format", "saelens", "out/sae"));
        var output = Path.Combine(_cli.Directory, "out", "sae");
        Assert.Equal($"exported topk SAE (d_in 8, d_sae 32, k 4) as SAELens v6 of exp / k=4 to {output}\n", _cli.Out.ReplaceLineEndings("\n"));
        Assert.Equal(["cfg.json", "sae_weights.safetensors", "sparsity.safetensors"], Directory.GetFiles(output).Select(Path.GetFileName).Order());
        foreach (var file in Directory.GetFiles(output))
            Assert.Equal(File.ReadAllBytes(Path.Combine(run, "stages", "train", "sae", Path.GetFileName(file))), File.ReadAllBytes(file));
        using var sae = SaeLensFolder.Load(output);
        Assert.Equal(4, sae.Config.K);
        Assert.Equal(["sae"], Directory.GetFileSystemEntries(Path.Combine(_cli.Directory, "out")).Select(Path.GetFileName)); // no temp folder left beside it
    }

    [Fact]
    public void Export_refuses_a_non_empty_folder_unless_forced()
    {
        FabricateRun();
        _cli.Write("out/notes.txt", "mine");
        Assert.Equal(2, _cli.Run("export", "runs/exp/k=4", "out"));
        Assert.Equal($"error: {Path.Combine(_cli.Directory, "out")} exists and is not empty; pass --force to replace it\n", _cli.Error.ReplaceLineEndings("\n"));
        Assert.True(File.Exists(Path.Combine(_cli.Directory, "out", "notes.txt")));

        Assert.Equal(0, _cli.Run("export", "runs/exp/k=4", "out", "--force"));
        Assert.False(File.Exists(Path.Combine(_cli.Directory, "out", "notes.txt")));
        Assert.True(File.Exists(Path.Combine(_cli.Directory, "out", "cfg.json")));

        Directory.CreateDirectory(Path.Combine(_cli.Directory, "empty"));
        Assert.Equal(0, _cli.Run("export", "runs/exp/k=4", "empty"));
    }

    [Fact]
    public void Export_of_a_run_without_a_trained_SAE_exits_2()
    {
        var run = FabricateRun(withSae: false);
        Assert.Equal(2, _cli.Run("export", "runs/exp/k=4", "out"));
        Assert.Equal($"error: {run} has no trained SAE (stages/train/sae is missing): its train stage did not run or wrote no SAE\n", _cli.Error.ReplaceLineEndings("\n"));
        Assert.Equal(2, _cli.Run("export", "runs/nothing", "out"));
        Assert.Contains("is not a readable run folder", _cli.Error);
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, "out")));
    }

    [Fact]
    public void Export_of_a_damaged_SAE_exits_1_and_writes_nothing()
    {
        var run = FabricateRun();
        var weights = Path.Combine(run, "stages", "train", "sae", SaeLensFolder.WeightsFile);
        File.WriteAllBytes(weights, File.ReadAllBytes(weights)[..^4]);
        Assert.Equal(1, _cli.Run("export", "runs/exp/k=4", "out"));
        Assert.StartsWith($"error: the run's SAE cannot be loaded: {Path.GetFullPath(weights)}: not a valid safetensors file: ", _cli.Error);
        Assert.DoesNotContain("   at ", _cli.Error);
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, "out")));
        Assert.Empty(Directory.GetDirectories(_cli.Directory, ".tmp*"));
    }

    [Fact]
    public void Unknown_formats_are_usage_errors()
    {
        FabricateRun();
        Assert.Equal(2, _cli.Run("export", "runs/exp/k=4", "--format", "onnx", "out"));
        Assert.Contains("onnx", _cli.Error);
    }
}
