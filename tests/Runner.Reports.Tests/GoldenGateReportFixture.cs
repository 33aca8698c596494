using Runner.Cli.Tests;
using Runner.Pipeline;

namespace Runner.Reports.Tests;

/// <summary>
/// Once per test class: the reduced golden-gate-mini (as in Runner.Cli.Tests' GoldenGateMiniTests: every real stage
/// in about 20 s), then <c>runner report RUN_DIR</c>, then the report opened in Chromium when it is installed.
/// </summary>
public sealed class GoldenGateReportFixture : IAsyncLifetime
{
    private static readonly string[] Reduced =
    [
        "--set", "model.toy.steps=600", "--set", "model.toy.tokens=400_000", "--set", "data.tokens=131_072",
        "--set", "sae.tokens=524_288", "--set", "sae.batch_size=512", "--set", "evaluate.tokens=32_768",
        "--set", "evaluate.topic_precision=0.8", "--set", "steer.generate.samples=3", "--set", "steer.generate.tokens=20",
        "--set", "device=cpu",
    ];

    /// <summary>The harness the run and the report command ran in.</summary>
    public CliHarness Cli { get; } = WithHooks(new CliHarness());

    // The spec's hooks (experiments/analyses) compile into the harness's own folder.
    private static CliHarness WithHooks(CliHarness cli)
    {
        cli.ScriptHost = new Runner.Hooks.FSharp.FSharpScriptHost(Path.Combine(cli.Directory, "hook-cache"));
        cli.Stages = () => StageCatalog.Create(cli.ScriptHost);
        return cli;
    }

    /// <summary>The run folder.</summary>
    public string RunDir => Path.Combine(Cli.Directory, "runs", "golden-gate-mini", "golden-gate-mini");

    /// <summary>The exit code and standard output of <c>runner report RUN_DIR</c>.</summary>
    public (int Exit, string Out, string Error) Report { get; private set; }

    /// <summary>report.html in Chromium, or null without it.</summary>
    public ReportPage? Page { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Cli.Write("golden-gate-mini.yaml", File.ReadAllText(RepoFile("experiments", "golden-gate-mini.yaml")));
        foreach (var script in Directory.GetFiles(Path.Combine(Path.GetDirectoryName(RepoFile("experiments", "golden-gate-mini.yaml"))!, "analyses"), "*.fsx"))
            Cli.Write(Path.Combine("analyses", Path.GetFileName(script)), File.ReadAllText(script));
        if (Cli.Run(["run", "golden-gate-mini.yaml", .. Reduced]) != 0)
            throw new InvalidOperationException($"the reduced golden-gate-mini failed:\n{Cli.Error}");
        var exit = Cli.Run("report", RunDir);
        Report = (exit, Cli.Out, Cli.Error);
        if (exit == 0 && ReportPage.SkipReason is null) Page = await ReportPage.OpenAsync(Path.Combine(RunDir, "report.html"));
    }

    public async ValueTask DisposeAsync()
    {
        if (Page is not null) await Page.DisposeAsync();
        Cli.Dispose();
    }

    /// <summary>A file of the repository, found above the test assembly.</summary>
    public static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"{Path.Combine(parts)} not found above {AppContext.BaseDirectory}");
    }
}
