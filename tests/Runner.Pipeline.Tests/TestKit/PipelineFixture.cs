using Runner.Pipeline.Caching;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline.Tests.TestKit;

/// <summary>A temp cache and runs folder, and executors over them with fast lock polling.</summary>
public sealed class PipelineFixture : IDisposable
{
    /// <summary>The environment fingerprint the fixture's executors use.</summary>
    public const string Environment = "libtorch=test;shim=0";

    /// <summary>Lock timing for tests: quick polls, a stale time no test reaches by accident.</summary>
    public static readonly LockOptions FastLocks = new() { Poll = TimeSpan.FromMilliseconds(10), Heartbeat = TimeSpan.FromMilliseconds(200), StaleAfter = TimeSpan.FromSeconds(30) };

    private readonly TempFolder _temp = new();

    /// <summary>The cache root.</summary>
    public string CacheRoot => _temp["cache"];

    /// <summary>The runs root.</summary>
    public string RunsRoot => _temp["runs"];

    /// <summary>A path inside the fixture's temp folder.</summary>
    public string this[string relative] => _temp[relative];

    /// <summary>Events of every executor made by <see cref="Executor"/>.</summary>
    public EventLog Events { get; } = new();

    /// <summary>A cache over <see cref="CacheRoot"/>.</summary>
    public StageCache Cache(CacheVerification verification = CacheVerification.Auto, long fullHashLimit = 256L << 20) =>
        new(new CacheOptions { Root = CacheRoot, Lock = FastLocks, Verification = verification, FullHashLimitBytes = fullHashLimit });

    /// <summary>An executor of <paramref name="stages"/>; <paramref name="tweak"/> adjusts the options.</summary>
    public PipelineExecutor Executor(IEnumerable<IStage> stages, Func<PipelineOptions, PipelineOptions>? tweak = null)
    {
        var options = new PipelineOptions { RunsDirectory = RunsRoot, EnvironmentFingerprint = Environment };
        return new PipelineExecutor(new StageGraph(stages), Cache(), tweak?.Invoke(options) ?? options, Events);
    }

    /// <summary>Runs <paramref name="points"/> and fails the test on any stage failure.</summary>
    public async Task<ExecutionReport> RunAsync(IEnumerable<IStage> stages, IReadOnlyList<ResolvedPoint> points, Func<PipelineOptions, PipelineOptions>? tweak = null)
    {
        var report = await Executor(stages, tweak).RunAsync(points, TestContext.Current.CancellationToken);
        report.ThrowIfFailed();
        return report;
    }

    /// <summary>Every entry of <paramref name="stage"/> in the cache.</summary>
    public IReadOnlyList<CacheEntryInfo> Entries(string stage) => Cache().List().Where(e => e.Stage == stage).ToList();

    /// <summary>Deletes the temp folder.</summary>
    public void Dispose() => _temp.Dispose();
}
