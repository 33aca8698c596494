using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Core.IO.Parquet;
using Runner.Pipeline.Runs;

namespace Runner.Pipeline.Tables;

/// <summary>
/// <c>sweep.parquet</c> of an experiment: one row per run folder with <c>run</c> (the run name),
/// <c>point</c> (its index in the sweep), one column per varied key path (<c>sae.k</c>; typed from the
/// values: INT64, DOUBLE, BOOLEAN or STRING) and one optional DOUBLE column per final metric
/// (<c>train.mse</c>; null for a run without it). A metric named like a varied key or like
/// <c>run</c>/<c>point</c> gets the prefix <c>metric:</c>.
/// </summary>
public static class SweepTables
{
    /// <summary>The file name inside the experiment folder.</summary>
    public const string File = "sweep.parquet";

    /// <summary>
    /// Writes <c><paramref name="experimentDirectory"/>/sweep.parquet</c> from <paramref name="runDirectories"/>
    /// (rows ordered by point, then run name) and returns its path. A RunnerException (exit 2) names a
    /// folder that is not a run folder.
    /// </summary>
    public static string Write(string experimentDirectory, IReadOnlyList<string> runDirectories)
    {
        var records = runDirectories.Select(RunFolder.Read)
            .OrderBy(r => r.Point).ThenBy(r => r.RunName, StringComparer.Ordinal).ToList();
        var varied = new List<string>();
        foreach (var r in records) varied.AddRange(r.Varied.Select(p => p.Key).Where(k => !varied.Contains(k)));
        var metrics = records.SelectMany(r => r.Metrics.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

        List<ParquetColumn> schema = [new("run", ParquetType.String), new("point", ParquetType.Int32)];
        List<Array> columns = [records.Select(r => r.RunName).ToArray(), records.Select(r => r.Point).ToArray()];
        foreach (var key in varied)
        {
            if (key is "run" or "point") throw new RunnerException($"{experimentDirectory}: a varied key is named '{key}', which sweep.parquet uses for its own column", exitCode: 2);
            var values = records.Select(r => r.Varied.FirstOrDefault(p => p.Key == key).Value).ToList();
            var (column, array) = JsonColumn.Build(key, values);
            schema.Add(column);
            columns.Add(array);
        }
        var taken = new HashSet<string>(schema.Select(c => c.Name), StringComparer.Ordinal);
        foreach (var metric in metrics)
        {
            schema.Add(new ParquetColumn(taken.Contains(metric) ? "metric:" + metric : metric, ParquetType.Double, Optional: true));
            columns.Add(records.Select(r => r.Metrics.TryGetValue(metric, out var v) ? v : (double?)null).ToArray());
        }
        using var writer = new ParquetWriter(Path.Combine(experimentDirectory, File), schema, new ParquetWriterOptions { Compression = ParquetCompression.Gzip });
        writer.Write(columns);
        return writer.Complete();
    }
}
