using System.CommandLine;
using System.Globalization;
using Runner.Cli.Rendering;
using Runner.Pipeline.Caching;
using Runner.Core;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Runs;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner show RUN_DIR [--compare OTHER_RUN_DIR] [--bands FILE]</c>: a run's metrics and stages; with another run, each
/// metric's difference and whether it lies within seed noise; with a band file alone, where each metric lies in its band.
/// Bands come from runs that differ only in seed beside either run (a seed sweep, runner baseline's runs), then the file.
/// </summary>
public static class ShowCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var dir = new Argument<string>("RUN_DIR") { Description = "A run folder (runs/<experiment>/<run>)." };
        var compare = new Option<string?>("--compare") { Description = "Another run folder: show each metric's difference and whether it lies within seed noise." };
        var bands = new Option<string?>("--bands") { Description = "A seed band file (runner baseline --out) for the seed noise of each metric." };
        var command = new Command("show", "Show a run: its spec hash, metrics and stage table (with --compare, each metric's difference against seed noise).") { dir, compare, bands };
        command.SetAction(r =>
        {
            var path = Path.GetFullPath(r.GetValue(dir)!, context.WorkingDirectory);
            var record = RunFolder.Read(path);
            var otherPath = r.GetValue(compare) is { } c ? Path.GetFullPath(c, context.WorkingDirectory) : null;
            var other = otherPath is null ? null : RunFolder.Read(otherPath);
            var bandFile = r.GetValue(bands) is { } b ? Baseline.LoadBands(Path.GetFullPath(b, context.WorkingDirectory), b) : null;
            var noise = SeedNoise.FromSiblings(Siblings(path).Concat(otherPath is null ? [] : Siblings(otherPath)).DistinctBy(p => p.Dir).Select(p => p.Record), bandFile, r.GetValue(bands));
            var o = context.Out;
            o.WriteLine($"{record.Experiment} / {record.RunName}  (point {record.Point})");
            o.WriteLine($"  spec hash    {record.SpecHash}");
            o.WriteLine($"  environment  {record.Environment}");
            o.WriteLine($"  started      {record.Started.ToLocalTime():yyyy-MM-dd HH:mm:ss}, finished {record.Finished.ToLocalTime():HH:mm:ss}");
            if (record.Error is not null) o.WriteLine($"  status       {record.Status}: {record.Error}");
            foreach (var (key, value) in record.Varied) o.WriteLine($"  {key} = {value?.ToJsonString()}");
            o.WriteLine();
            TextTable.Write(o, ["stage", "status", "seconds", "key"],
                record.Stages.Select(s => new[] { s.Name, s.Status.ToString().ToLowerInvariant(), s.Seconds.ToString("F1", CultureInfo.InvariantCulture), StageCache.Short(s.Key) }).ToList());
            o.WriteLine();
            if (record.Metrics.Count == 0) o.WriteLine("no metrics");
            else if (other is not null) Compare(o, record, other, noise);
            else if (noise.Any)
            {
                TextTable.Write(o, ["metric", "value", "band (mean ± tolerance)", "seed noise"], record.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m =>
                {
                    var band = noise.For(record, m.Key);
                    return new[]
                    {
                        m.Key, Summary.Format(m.Value),
                        band is { } x ? $"{Summary.Format(x.Band.Mean)} ± {Summary.Format(x.Band.Tolerance)} ({x.Source})" : "",
                        band is { } y ? SeedNoise.Verdict(m.Value - y.Band.Mean, y.Band) : "",
                    };
                }).ToList());
            }
            else TextTable.Write(o, ["metric", "value"], record.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new[] { m.Key, Summary.Format(m.Value) }).ToList());
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Compare(TextWriter o, RunRecord record, RunRecord other, SeedNoise noise)
    {
        var names = record.Metrics.Keys.Union(other.Metrics.Keys).Order(StringComparer.Ordinal).ToList();
        var rows = names.Select(name =>
        {
            var has = record.Metrics.TryGetValue(name, out var x);
            var hasOther = other.Metrics.TryGetValue(name, out var y);
            var verdict = has && hasOther ? noise.Verdict(record, other, name) ?? (MetricCatalog.Find(name) is { Comparable: false } ? "(not compared: speed, time or index)" : "") : "";
            return new[] { name, has ? Summary.Format(x) : "-", hasOther ? Summary.Format(y) : "-", has && hasOther ? Summary.Format(y - x) : "", verdict };
        }).ToList();
        o.WriteLine($"compared with {other.Experiment} / {other.RunName}");
        TextTable.Write(o, ["metric", "this run", "other", "difference", "seed noise"], rows);
        var within = rows.Count(r => r[4] == "within seed noise");
        var beyond = rows.Count(r => r[4].StartsWith("beyond", StringComparison.Ordinal));
        o.WriteLine(noise.Any
            ? $"{within} metric{(within == 1 ? "" : "s")} within seed noise, {beyond} beyond it, {rows.Count - within - beyond} without a band"
            : "no seed bands: pass --bands FILE (runner baseline --out), or compare runs of a sweep over seed");
    }

    // The finished runs in the same experiment folder as runDirectory (itself included).
    private static IEnumerable<(string Dir, RunRecord Record)> Siblings(string runDirectory)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(runDirectory).TrimEnd(Path.DirectorySeparatorChar));
        if (parent is null || !Directory.Exists(parent)) yield break;
        foreach (var dir in Directory.EnumerateDirectories(parent).Where(d => !Path.GetFileName(d).StartsWith('.') && File.Exists(Path.Combine(d, RunFolder.StagesFile))).Order(StringComparer.Ordinal))
        {
            RunRecord? run;
            try { run = RunFolder.Read(dir); }
            catch (Exception e) when (e is IOException or FormatException or System.Text.Json.JsonException or RunnerException) { continue; }
            yield return (Path.GetFullPath(dir), run);
        }
    }
}
