using Runner.Pipeline;

namespace Runner.Cli.Tests;

/// <summary>`runner run --executor local --jobs N`: the points of a sweep in child processes of the real CLI.</summary>
public sealed class LocalExecutorTests : IDisposable
{
    private const string Spec = """
        name: tiny-jobs
        seed: 3
        device: cpu
        data:
          synthetic: { features: 24, d_in: 16, frequency: 0.05 }
          tokens: 20_000
        sae: { architecture: topk, dict_size: 64, k: 4, lr: 3e-3, batch_size: 256, tokens: 20_000 }
        evaluate: { tokens: 2_000 }
        """;

    private readonly CliHarness _cli = new() { Stages = StageCatalog.Create };

    public void Dispose() => _cli.Dispose();

    private string Sweep => Path.Combine(_cli.Directory, "runs", "tiny-jobs");

    [Fact]
    public void Three_points_in_two_processes_all_finish_and_share_one_capture_and_the_parent_writes_the_sweep_and_mlflow()
    {
        _cli.Write("tiny.yaml", Spec + "\nsweep: { sae.k: [2, 3, 4] }\n");
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--executor", "local", "--jobs", "2"));
        foreach (var k in new[] { 2, 3, 4 })
        {
            var run = Path.Combine(Sweep, $"k={k}");
            Assert.Contains("\"evaluate.fvu\"", File.ReadAllText(Path.Combine(run, "metrics.json")));
            Assert.DoesNotContain("\"failed\"", File.ReadAllText(Path.Combine(run, "stages.json")));
        }
        var logs = Directory.GetFiles(Path.Combine(Sweep, ".logs"), "*.log");
        Assert.Equal(3, logs.Length);
        Assert.Equal(1, logs.Sum(l => File.ReadAllLines(l).Count(line => line.Contains("capture: computing", StringComparison.Ordinal))));
        Assert.True(File.Exists(Path.Combine(Sweep, "sweep.parquet")));
        // The children skip tracking: MLflow has the parent and its three children only.
        var runs = Directory.GetDirectories(Path.Combine(_cli.Directory, "mlruns"), "*", SearchOption.TopDirectoryOnly)
            .SelectMany(e => Directory.GetDirectories(e)).ToList();
        Assert.Equal(4, runs.Count);
        Assert.Equal(3, runs.Count(r => File.Exists(Path.Combine(r, "tags", "mlflow.parentRunId"))));
        Assert.Contains("[1] k=3: finished", _cli.Out);
    }

    [Fact]
    public void A_failing_point_makes_the_run_exit_1_and_names_its_log_while_the_other_point_completes()
    {
        _cli.Write("tiny.yaml", Spec + "\nsweep: { device: [cpu, \"cuda:63\"] }\n");
        Assert.Equal(1, _cli.Run("run", "tiny.yaml", "--jobs", "2"));
        Assert.Contains("\"evaluate.fvu\"", File.ReadAllText(Path.Combine(Sweep, "device=cpu", "metrics.json")));
        // The child refuses a device this machine lacks before running anything: no run folder, and its log says why.
        Assert.False(Directory.Exists(Path.Combine(Sweep, "device=cuda_63")));
        Assert.Contains("error: point 1 (device=cuda_63) failed", _cli.Error);
        Assert.Contains(Path.Combine("runs", "tiny-jobs", ".logs", "1.log"), _cli.Error);
        Assert.Contains("error: device cuda:63: ", File.ReadAllText(Path.Combine(Sweep, ".logs", "1.log")));
    }

    [Fact]
    public void Slurm_options_without_the_slurm_executor_are_a_usage_error()
    {
        _cli.Write("tiny.yaml", Spec + "\nsweep: { sae.k: [2, 3] }\n");
        Assert.Equal(2, _cli.Run("run", "tiny.yaml", "--max-parallel", "2"));
        Assert.Contains("--max-parallel need --executor slurm", _cli.Error);
    }
}
