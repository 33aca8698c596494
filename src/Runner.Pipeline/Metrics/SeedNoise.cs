using Runner.Pipeline.Runs;

namespace Runner.Pipeline.Metrics;

/// <summary>
/// Where the seed noise of a run's metric comes from when two runs are compared: runs that differ only in their
/// <c>seed</c> (a sweep with a seed dimension, the runs of <c>runner baseline</c>), then a band file's bands.
/// </summary>
public sealed class SeedNoise
{
    private readonly Dictionary<string, Dictionary<string, SeedBand>> _siblings;
    private readonly Func<RunRecord, string, SeedBand?>? _file;

    private SeedNoise(Dictionary<string, Dictionary<string, SeedBand>> siblings, Func<RunRecord, string, SeedBand?>? file, string? fileName)
    {
        _siblings = siblings;
        _file = file;
        FileName = fileName;
    }

    /// <summary>No bands at all.</summary>
    public static SeedNoise None { get; } = new([], null, null);

    /// <summary>The band file the bands come from after the siblings (its name as given), or null.</summary>
    public string? FileName { get; }

    /// <summary>True when some band is known.</summary>
    public bool Any => _siblings.Count > 0 || _file is not null;

    /// <summary>The groups of runs that differ only in seed (two runs or more), keyed by <see cref="GroupOf"/>.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, SeedBand>> Groups => _siblings;

    /// <summary>
    /// The bands of <paramref name="runs"/> that differ only in <c>seed</c>: for each such group of two or more finished
    /// runs and each metric all of them have, <see cref="SeedBand.From"/> with the floor of the metric's kind.
    /// </summary>
    public static SeedNoise FromSiblings(IEnumerable<RunRecord> runs, Func<RunRecord, string, SeedBand?>? file = null, string? fileName = null)
    {
        var groups = new Dictionary<string, Dictionary<string, SeedBand>>(StringComparer.Ordinal);
        foreach (var group in runs.Where(r => r.Error is null && r.Varied.Any(v => v.Key == "seed")).GroupBy(GroupOf, StringComparer.Ordinal))
        {
            var members = group.ToList();
            if (members.Count < 2) continue;
            var bands = new Dictionary<string, SeedBand>(StringComparer.Ordinal);
            foreach (var metric in members[0].Metrics.Keys.Where(m => members.All(r => r.Metrics.ContainsKey(m))))
            {
                if (MetricCatalog.Find(metric) is { Comparable: false }) continue;
                var values = members.Select(r => r.Metrics[metric]).ToList();
                if (values.Any(v => !double.IsFinite(v))) continue;
                bands[metric] = SeedBand.From(values, MetricCatalog.Find(metric)?.BandFloor(values.Average()) ?? 0);
            }
            groups[group.Key] = bands;
        }
        return new SeedNoise(groups, file, fileName);
    }

    /// <summary>A run's group: its experiment and everything it varies except the seed (<c>exp|k=4</c>).</summary>
    public static string GroupOf(RunRecord run) =>
        run.Experiment + "|" + string.Join(",", run.Varied.Where(v => v.Key != "seed").Select(v => $"{v.Key}={v.Value?.ToJsonString()}"));

    /// <summary>The run name without its <c>seed=S</c> part (<c>k=4,seed=1</c> → <c>k=4</c>; <c>seed=1</c> → "").</summary>
    public static string NameWithoutSeed(string runName) =>
        string.Join(",", runName.Split(',').Where(p => !p.StartsWith("seed=", StringComparison.Ordinal)));

    /// <summary>The band of <paramref name="metric"/> for <paramref name="run"/>, and where it came from; null when none is known.</summary>
    public (SeedBand Band, string Source)? For(RunRecord run, string metric)
    {
        if (_siblings.TryGetValue(GroupOf(run), out var bands) && bands.TryGetValue(metric, out var band))
            return (band, $"{band.N} seeds of this sweep");
        return _file?.Invoke(run, metric) is { } b ? (b, $"{FileName} ({b.N} seeds)") : null;
    }

    /// <summary>
    /// The verdict on the difference <paramref name="b"/> − <paramref name="a"/> of <paramref name="metric"/>, against
    /// <paramref name="a"/>'s band: "within seed noise", "beyond seed noise (Δ = +5.1σ)", or null when no band is known.
    /// </summary>
    public string? Verdict(RunRecord a, RunRecord b, string metric)
    {
        if (!a.Metrics.TryGetValue(metric, out var x) || !b.Metrics.TryGetValue(metric, out var y) || For(a, metric) is not { } found) return null;
        return Verdict(y - x, found.Band);
    }

    /// <summary>The verdict on a difference against a band.</summary>
    public static string Verdict(double difference, SeedBand band)
    {
        if (band.WithinNoise(difference)) return "within seed noise";
        return band.Std > 0
            ? $"beyond seed noise (Δ = {(difference >= 0 ? "+" : "")}{(difference / band.Std).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}σ)"
            : "beyond seed noise (σ = 0, floor exceeded)";
    }
}
