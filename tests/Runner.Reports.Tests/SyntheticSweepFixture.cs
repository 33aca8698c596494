using Runner.Cli.Tests;
using Runner.Pipeline;

namespace Runner.Reports.Tests;

/// <summary>
/// Once per test class: a 2-point synthetic sweep (sae.k = 2, 4; capture, train, evaluate in a few seconds), then
/// <c>runner report runs/report-sweep</c>, then sweep.html opened in Chromium when it is installed.
/// </summary>
public sealed class SyntheticSweepFixture : IAsyncLifetime
{
    private const string Spec = """
        name: report-sweep
        seed: 0
        device: cpu
        data:
          synthetic: { features: 64, d_in: 16, frequency: 0.05, magnitude: 1.0 }
          tokens: 20_000
        sae: { architecture: topk, dict_size: 64, k: 2, lr: 1e-3, batch_size: 512, tokens: 100_000 }
        evaluate: { tokens: 5_000 }
        sweep: { sae.k: [2, 4] }
        """;

    /// <summary>The harness the sweep and the report command ran in.</summary>
    public CliHarness Cli { get; } = new() { Stages = StageCatalog.Create };

    /// <summary>The experiment folder.</summary>
    public string ExperimentDir => Path.Combine(Cli.Directory, "runs", "report-sweep");

    /// <summary>The exit code, standard output and error of <c>runner report runs/report-sweep</c>.</summary>
    public (int Exit, string Out, string Error) Report { get; private set; }

    /// <summary>sweep.html in Chromium, or null without it.</summary>
    public ReportPage? Page { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Cli.Write("report-sweep.yaml", Spec);
        if (Cli.Run("run", "report-sweep.yaml") != 0) throw new InvalidOperationException($"the synthetic sweep failed:\n{Cli.Error}");
        var exit = Cli.Run("report", Path.Combine("runs", "report-sweep"));
        Report = (exit, Cli.Out, Cli.Error);
        if (exit == 0 && ReportPage.SkipReason is null) Page = await ReportPage.OpenAsync(Path.Combine(ExperimentDir, "sweep.html"));
    }

    public async ValueTask DisposeAsync()
    {
        if (Page is not null) await Page.DisposeAsync();
        Cli.Dispose();
    }
}
