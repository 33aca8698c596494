using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Hashing;
using Runner.Pipeline.Spec;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline.TestHost;

/// <summary>
/// <c>Runner.Pipeline.TestHost --cache DIR --runs DIR --record DIR [--sleep-ms N] [--marker FILE] [--go FILE (writes FILE.ready.PID, then waits for FILE)] [--value V]</c>.
/// Prints "waiting ..." lines and finally "status shared computed|cached"; exit 0, 1 (stage failed), 130 (cancelled).
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
        string Arg(string name, string? fallback = null) => options.TryGetValue(name, out var v) ? v : fallback ?? throw new ArgumentException($"--{name} is required");

        // A barrier so that all processes of a test enter the pipeline at about the same moment.
        if (options.TryGetValue("go", out var go))
        {
            File.WriteAllText($"{go}.ready.{Environment.ProcessId}", "");
            while (!File.Exists(go)) await Task.Delay(10);
        }

        var json = new JsonObject { ["name"] = "mp", ["seed"] = 0, ["data"] = new JsonObject { ["value"] = Arg("value", "v") } };
        var point = new ResolvedPoint
        {
            Experiment = "mp",
            RunName = "mp",
            Index = 0,
            Varied = [],
            Json = json,
            Spec = new ExperimentSpec { Name = "mp", Seed = 0 },
            SpecHash = CanonicalJson.Sha256(json),
        };
        var cache = new StageCache(new CacheOptions
        {
            Root = Arg("cache"),
            Lock = new LockOptions { Poll = TimeSpan.FromMilliseconds(25), Heartbeat = TimeSpan.FromSeconds(1), StaleAfter = TimeSpan.FromSeconds(30) },
        });
        var stage = new SharedStage(Arg("record"), options.GetValueOrDefault("marker"), int.Parse(Arg("sleep-ms", "0"), System.Globalization.CultureInfo.InvariantCulture));
        var events = new ConsoleEvents();
        var executor = new PipelineExecutor(new StageGraph([stage]), cache,
            new PipelineOptions { RunsDirectory = Arg("runs"), EnvironmentFingerprint = "test" }, events);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        try
        {
            var report = await executor.RunAsync([point], cts.Token);
            report.ThrowIfFailed();
            foreach (var s in report.Points[0].Record!.Stages) Console.WriteLine($"status {s.Name} {s.Status.ToString().ToLowerInvariant()}");
            return 0;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (RunnerException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return e.ExitCode;
        }
    }

    private sealed class ConsoleEvents : IProgress<PipelineEvent>
    {
        public void Report(PipelineEvent value)
        {
            switch (value)
            {
                case StageWaiting w:
                    Console.WriteLine(w.Message);
                    break;
                case PipelineMessage m:
                    Console.WriteLine($"{m.Level.ToString().ToLowerInvariant()}: {m.Text}");
                    break;
            }
        }
    }
}
