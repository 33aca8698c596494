using Runner.Core;
using Runner.Core.Benchmarks;
using Runner.Pipeline.Estimates;

namespace Runner.Pipeline.Tests.Estimates;

public sealed class EstimatesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "runner-estimates-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    private static readonly CalibrationFigures Figures = new()
    {
        ForwardGflops = 30, ForwardSecondsPerLayer = 2e-4, ForwardSecondsPerElement = 1e-10, SaeGflops = 25,
        SaeSecondsPerStep = 1e-3, Bf16Speedup = 3.5, BaseRssBytes = 210_000_000, Threads = 2, MeasuredSeconds = 9.5,
    };

    [Fact]
    public void A_calibration_file_round_trips_and_a_missing_or_foreign_file_reads_as_none()
    {
        var file = Path.Combine(_dir, "calibration", "a.json");
        var calibration = new MachineCalibration(Figures, file, new DateTimeOffset(2026, 12, 4, 15, 0, 0, TimeSpan.Zero));
        calibration.Write("host=x;cpu=y");
        Assert.Equal(calibration, MachineCalibration.Read(file));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(file)!, "*.tmp-*"));   // written by temp name + rename
        Assert.Null(MachineCalibration.Read(Path.Combine(_dir, "missing.json")));
        File.WriteAllText(file, """{"format": "something-else"}""");
        Assert.Null(MachineCalibration.Read(file));
    }

    [Fact]
    public void The_calibration_cache_file_is_per_key_under_XDG_CACHE_HOME_or_HOME()
    {
        string? Env(string name) => name switch { "XDG_CACHE_HOME" => "/xdg", "HOME" => "/home/u", _ => null };
        var a = MachineCalibration.CacheFile("host=a;libtorch=1", Env);
        Assert.StartsWith("/xdg/runner/calibration/", a);
        Assert.NotEqual(a, MachineCalibration.CacheFile("host=b;libtorch=1", Env));
        Assert.StartsWith("/home/u/.cache/runner/calibration/", MachineCalibration.CacheFile("k", n => n == "HOME" ? "/home/u" : null));
    }

    [Fact]
    public void RUNNER_CALIBRATION_is_used_as_given_and_a_bad_one_is_a_usage_error()
    {
        var file = Path.Combine(_dir, "given.json");
        new MachineCalibration(Figures, file, DateTimeOffset.UnixEpoch).Write("k");
        var measured = false;
        var used = MachineCalibration.LoadOrMeasure("env", Runner.Torch.Device.Cpu, n => n == MachineCalibration.FileVariable ? file : null, _ => measured = true);
        Assert.Equal(Figures, used.Figures);
        Assert.False(measured);
        var e = Assert.Throws<RunnerException>(() => MachineCalibration.LoadOrMeasure("env", Runner.Torch.Device.Cpu,
            n => n == MachineCalibration.FileVariable ? Path.Combine(_dir, "nope.json") : null));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("runner bench calibrate", e.Message);
    }

    [Theory]
    [InlineData("123", 123L)]
    [InlineData("500M", 500L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("1.5T", 3L << 39)]
    [InlineData("64KiB", 64L << 10)]
    public void RUNNER_DISK_FREE_takes_bytes_with_binary_suffixes(string text, long bytes) =>
        Assert.Equal(bytes, DiskSpace.Free("/", n => n == DiskSpace.OverrideVariable ? text : null));

    [Fact]
    public void Free_space_of_a_folder_that_does_not_exist_yet_is_that_of_its_nearest_ancestor()
    {
        var free = DiskSpace.Free(Path.Combine(_dir, "not", "yet"), _ => null);
        Assert.NotNull(free);
        Assert.True(free > 0);
        Assert.Throws<RunnerException>(() => DiskSpace.Free("/", n => n == DiskSpace.OverrideVariable ? "lots" : null));
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(999L, "999 B")]
    [InlineData(1_440_000L, "1.44 MB")]
    [InlineData(178_261_664L, "178 MB")]
    [InlineData(311_080_997_568L, "311 GB")]
    public void Sizes_print_with_three_significant_digits(long bytes, string text) => Assert.Equal(text, Quantities.Bytes(bytes));

    [Theory]
    [InlineData(0.04, "0.0 s")]
    [InlineData(8.41, "8.4 s")]
    [InlineData(26.2, "26 s")]
    [InlineData(113.8, "1 min 54 s")]
    [InlineData(30729.5, "8 h 32 min")]
    [InlineData(1046187.0, "12.1 days")]
    public void Durations_print_in_the_largest_useful_unit(double seconds, string text) => Assert.Equal(text, Quantities.Seconds(seconds));

    [Fact]
    public void The_margin_is_5_percent_plus_256_MiB() =>
        Assert.Equal(1_000_000_000L + 50_000_000 + (256L << 20), DiskCheck.WithMargin(1_000_000_000));
}
