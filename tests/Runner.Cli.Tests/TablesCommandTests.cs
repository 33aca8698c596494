using Runner.Pipeline.Runs;

namespace Runner.Cli.Tests;

public sealed class TablesCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string FabricateRun(string name, int point)
    {
        var entry = Path.Combine(_cli.Directory, ".runner", "cache", "train", name);
        Directory.CreateDirectory(entry);
        File.WriteAllText(Path.Combine(entry, "curves.json"), """[{"step":1,"tokens":64,"loss":2.5},{"step":2,"tokens":128,"loss":2.0}]""");
        var record = new RunRecord
        {
            Experiment = "exp",
            RunName = name,
            Point = point,
            SpecHash = "0123",
            Stages = [new RunStage { Name = "train", Key = name, Status = StageStatus.Computed, Seconds = 1, Entry = entry, Metrics = new Dictionary<string, double> { ["mse"] = point } }],
        };
        return RunFolder.Write(Path.Combine(_cli.Directory, "runs"), record, "name: exp\n");
    }

    [Fact]
    public void Tables_of_an_experiment_folder_writes_each_runs_tables_and_the_sweep_table()
    {
        FabricateRun("k=4", 0);
        FabricateRun("k=8", 1);
        Assert.Equal(0, _cli.Run("tables", "runs/exp"));
        Assert.Equal(
            ["wrote runs/exp/k=4/tables/training.parquet", "wrote runs/exp/k=8/tables/training.parquet", "wrote runs/exp/sweep.parquet"],
            _cli.Out.ReplaceLineEndings("\n").TrimEnd().Split('\n'));
        Assert.True(File.Exists(Path.Combine(_cli.Directory, "runs", "exp", "sweep.parquet")));
    }

    [Fact]
    public void Tables_of_a_single_run_folder_writes_only_its_tables()
    {
        FabricateRun("k=4", 0);
        Assert.Equal(0, _cli.Run("tables", "runs/exp/k=4"));
        Assert.Equal("wrote runs/exp/k=4/tables/training.parquet\n", _cli.Out.ReplaceLineEndings("\n"));
        Assert.False(File.Exists(Path.Combine(_cli.Directory, "runs", "exp", "sweep.parquet")));
    }

    [Fact]
    public void Tables_of_a_folder_without_runs_is_a_usage_error()
    {
        Directory.CreateDirectory(Path.Combine(_cli.Directory, "empty"));
        Assert.Equal(2, _cli.Run("tables", "empty"));
        Assert.Contains("is neither a run folder nor an experiment folder", _cli.Error);
        Assert.Equal(2, _cli.Run("tables", "missing"));
        Assert.Contains("no such folder", _cli.Error);
    }
}
