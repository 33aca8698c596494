using System.CommandLine;
using System.Globalization;
using Runner.Cli.Rendering;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Runs;

namespace Runner.Cli.Commands;

/// <summary><c>runner show RUN_DIR</c>: a run's metrics and stages.</summary>
public static class ShowCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var dir = new Argument<string>("RUN_DIR") { Description = "A run folder (runs/<experiment>/<run>)." };
        var command = new Command("show", "Show a run: its spec hash, metrics and stage table.") { dir };
        command.SetAction(r =>
        {
            var path = Path.GetFullPath(r.GetValue(dir)!, context.WorkingDirectory);
            var record = RunFolder.Read(path);
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
            else TextTable.Write(o, ["metric", "value"], record.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new[] { m.Key, Summary.Format(m.Value) }).ToList());
            return ExitCodes.Ok;
        });
        return command;
    }
}
