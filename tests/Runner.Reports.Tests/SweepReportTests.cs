using System.Text.Json.Nodes;

namespace Runner.Reports.Tests;

/// <summary>sweep.html of a real 2-point synthetic sweep, checked in headless Chromium; and the report command's errors.</summary>
public sealed class SweepReportTests(SyntheticSweepFixture sweep) : IClassFixture<SyntheticSweepFixture>
{
    private static readonly string[] Runs = ["k=2", "k=4"];

    [Fact]
    public void Report_command_on_an_experiment_folder_writes_the_sweep_report_and_every_run_report()
    {
        Assert.Equal(0, sweep.Report.Exit);
        var sep = Path.DirectorySeparatorChar;
        Assert.Equal([$"runs{sep}report-sweep{sep}sweep.html", .. Runs.Select(r => $"runs{sep}report-sweep{sep}{r}{sep}report.html")],
            sweep.Report.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var html = File.ReadAllText(Path.Combine(sweep.ExperimentDir, "sweep.html"));
        Assert.DoesNotMatch(RunReportTests.ExternalReference(), html);
    }

    [Fact]
    public async Task The_sweep_report_loads_without_errors_and_plots_one_labelled_point_per_run_at_its_l0_and_fvu()
    {
        ReportPage.RequireChromium();
        var page = sweep.Page!;
        Assert.Empty(page.Errors);
        Assert.Single(page.Requests);
        var chart = page.Page.Locator("svg#l0-fvu");
        Assert.Equal("2", await chart.GetAttributeAsync("data-points"));
        Assert.Equal(2, await chart.Locator("circle").CountAsync());
        Assert.Equal(Runs, await chart.Locator("circle").EvaluateAllAsync<string[]>("cs => cs.map(c => c.getAttribute('data-label'))"));
        Assert.Equal(Runs, await chart.Locator("text.label").AllTextContentsAsync());
        // Larger k: more active latents and a better reconstruction, so the k=4 point is right of and below k=2.
        var x = await chart.Locator("circle").EvaluateAllAsync<double[]>("cs => cs.map(c => +c.getAttribute('cx'))");
        var y = await chart.Locator("circle").EvaluateAllAsync<double[]>("cs => cs.map(c => +c.getAttribute('cy'))");
        var l0 = Runs.Select(r => Metric(r, "evaluate.l0")).ToArray();
        var fvu = Runs.Select(r => Metric(r, "evaluate.fvu")).ToArray();
        Assert.Equal(l0[1] > l0[0], x[1] > x[0]);
        Assert.Equal(fvu[1] > fvu[0], y[1] < y[0]);
    }

    [Fact]
    public async Task The_points_table_shows_the_varied_value_and_links_to_each_run_report()
    {
        ReportPage.RequireChromium();
        var rows = sweep.Page!.Page.Locator("table.points tbody tr");
        Assert.Equal(2, await rows.CountAsync());
        for (var i = 0; i < Runs.Length; i++)
        {
            var row = rows.Nth(i);
            Assert.Equal(Runs[i], await row.Locator("td").Nth(0).InnerTextAsync());
            Assert.Equal(Runs[i][2..], await row.Locator("td").Nth(1).InnerTextAsync());
            var href = await row.Locator("a").GetAttributeAsync("href");
            var target = new Uri(new Uri(sweep.Page.Page.Url), href).LocalPath;
            Assert.Equal(Path.Combine(sweep.ExperimentDir, Runs[i], "report.html"), target);
            Assert.True(File.Exists(target));
        }
    }

    [Fact]
    public async Task A_run_report_of_the_sweep_draws_its_training_curve_and_opens_without_errors()
    {
        ReportPage.RequireChromium();
        var run = Path.Combine(sweep.ExperimentDir, "k=4");
        await using var page = await ReportPage.OpenAsync(Path.Combine(run, "report.html"));
        Assert.Empty(page.Errors);
        var rows = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "stages", "train", "curves.json")))!.AsArray().Count;
        Assert.Equal(rows, await page.PathVerticesAsync("curve-train-l0"));
        // A synthetic run has no language model, examples or steering: those sections are left out.
        Assert.Equal(0, await page.Page.Locator("#curve-pretrain-loss, #examples, #steering, #topics").CountAsync());
    }

    [Fact]
    public async Task The_screenshot_is_not_blank()
    {
        ReportPage.RequireChromium();
        var colours = await sweep.Page!.ScreenshotColoursAsync();
        Assert.True(colours > 20, $"{colours} distinct colours");
    }

    [Fact]
    public void Report_command_rejects_a_missing_folder_a_file_and_the_runs_root_with_exit_2()
    {
        var cli = sweep.Cli;
        Assert.Equal(2, cli.Run("report", "nowhere"));
        Assert.Equal("error: nowhere: no such folder; pass a run folder (runs/<experiment>/<run>) or an experiment folder (runs/<experiment>)", cli.Error.Trim());
        Assert.Equal(2, cli.Run("report", "report-sweep.yaml"));
        Assert.StartsWith("error: report-sweep.yaml: is a file;", cli.Error.Trim());
        Assert.Equal(2, cli.Run("report", "runs"));
        Assert.Equal($"error: runs: holds experiment folders, not runs; pass one of them (e.g. {Path.Combine("runs", "report-sweep")})", cli.Error.Trim());
        Directory.CreateDirectory(Path.Combine(cli.Directory, "empty"));
        Assert.Equal(2, cli.Run("report", "empty"));
        Assert.Equal("error: empty: not a run folder (no stages.json) and no subfolder is one; pass runs/<experiment>/<run> or runs/<experiment>", cli.Error.Trim());
    }

    private double Metric(string run, string name) =>
        (double)Runner.Pipeline.Runs.MetricsDocument.Values(JsonNode.Parse(File.ReadAllText(Path.Combine(sweep.ExperimentDir, run, "metrics.json"))))[name]!;
}
