namespace Runner.Cli.Tests;

/// <summary>Runs the CLI in-process in a scratch folder with test stages and captured output.</summary>
public sealed class CliHarness : IDisposable
{
    public CliHarness()
    {
        Directory = Path.Combine(Path.GetTempPath(), "runner-cli-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Capture = new TestStage("capture", [], ["data", "seed"]);
        Train = new TestStage("train", ["capture"], ["sae"]) { RunLinks = new Dictionary<string, string> { ["sae"] = "sae" } };
        // Fixed machine speeds: estimates never measure, and no test depends on this machine's speed.
        Environment["RUNNER_CALIBRATION"] = Write(".calibration.json", Calibration);
    }

    /// <summary>The calibration every harness uses (RUNNER_CALIBRATION): round figures.</summary>
    public const string Calibration = """
        { "format": "runner-calibration", "version": 1, "key": "test", "measured": "2026-12-01T00:00:00+00:00",
          "forward_gflops": 50, "forward_seconds_per_layer": 0.001, "sae_gflops": 25, "sae_seconds_per_step": 0.002,
          "bf16_speedup": 2, "base_rss_bytes": 200000000, "threads": 2, "measured_seconds": 5 }
        """;

    public string Directory { get; }
    public TestStage Capture { get; }
    public TestStage Train { get; }
    public string Out { get; private set; } = "";
    public string Error { get; private set; } = "";

    /// <summary>Writes a file relative to the scratch folder; returns its path.</summary>
    public string Write(string relative, string text)
    {
        var path = Path.Combine(Directory, relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs `runner ARGS`; returns the exit code and keeps the output.</summary>
    public int Run(params string[] args) => Run(CancellationToken.None, args);

    /// <summary>The stages runs use: the test stages by default, or e.g. the real catalog.</summary>
    public Func<IReadOnlyList<Runner.Pipeline.Stages.IStage>>? Stages { get; set; }

    /// <summary>The F# script host (for hook stages and `runner hook check`); null: hooks are unavailable.</summary>
    public Runner.Pipeline.Hooks.IScriptHost? ScriptHost { get; set; }

    /// <summary>Environment variables the CLI sees instead of the process's (a null value unsets one).</summary>
    public Dictionary<string, string?> Environment { get; } = [];

    /// <summary>Render progress as in a terminal (Spectre live bars) instead of plain lines.</summary>
    public bool Interactive { get; set; }

    /// <summary>Called with every line written to standard error, as it is written (e.g. to cancel mid-stage).</summary>
    public Action<string>? OnErrorLine { get; set; }

    public int Run(CancellationToken cancellation, params string[] args)
    {
        var o = new StringWriter();
        var e = new WatchingWriter(line => OnErrorLine?.Invoke(line));
        var code = CliApp.Run(args, new CliContext
        {
            Out = o,
            Error = e,
            Stages = Stages ?? (() => [Capture, Train]),
            ScriptHost = ScriptHost is { } host ? () => host : null,
            EnvironmentFingerprint = () => "test-environment",
            WorkingDirectory = Directory,
            GetEnvironment = name => Environment.TryGetValue(name, out var value) ? value : name == "RUNNER_CACHE" ? null : System.Environment.GetEnvironmentVariable(name),
            Cancellation = cancellation,
            Interactive = Interactive,
            PlainProgressInterval = TimeSpan.Zero,
        });
        Out = o.ToString();
        Error = e.ToString();
        return code;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>A StringWriter that reports each complete line.</summary>
    private sealed class WatchingWriter(Action<string> onLine) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            onLine(value ?? "");
        }
    }
}
