using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Runner.Reports.Tests;

/// <summary>report.html of a real run (the reduced golden-gate-mini: every stage), checked in headless Chromium.</summary>
public sealed partial class RunReportTests(GoldenGateReportFixture run) : IClassFixture<GoldenGateReportFixture>
{
    private string Stage(string stage, string file) => Path.Combine(run.RunDir, "stages", stage, file);

    [Fact]
    public void Report_command_writes_report_html_into_the_run_folder_and_names_it()
    {
        Assert.Equal(0, run.Report.Exit);
        Assert.Equal(Path.Combine("runs", "golden-gate-mini", "golden-gate-mini", "report.html"), run.Report.Out.Trim());
        Assert.True(File.Exists(Path.Combine(run.RunDir, "report.html")));
    }

    [Fact]
    public void The_html_names_no_network_resource()
    {
        var html = File.ReadAllText(Path.Combine(run.RunDir, "report.html"));
        Assert.DoesNotMatch(ExternalReference(), html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_report_loads_in_chromium_without_console_errors_and_requests_nothing_but_itself()
    {
        ReportPage.RequireChromium();
        Assert.Empty(run.Page!.Errors);
        Assert.Equal([new Uri(Path.Combine(run.RunDir, "report.html")).AbsoluteUri], run.Page.Requests);
    }

    [Fact]
    public async Task Every_training_curve_draws_one_vertex_per_row_of_its_curves_json()
    {
        ReportPage.RequireChromium();
        var train = JsonNode.Parse(File.ReadAllText(Stage("train", "curves.json")))!.AsArray();
        var pretrain = JsonNode.Parse(File.ReadAllText(Stage("pretrain", "curves.json")))!.AsArray();
        Assert.True(train.Count > 3 && pretrain.Count > 3);
        foreach (var chart in new[] { "curve-train-loss", "curve-train-mse", "curve-train-l0" })
        {
            Assert.Equal(train.Count, await run.Page!.PathVerticesAsync(chart));
            Assert.Equal(train.Count.ToString(), await run.Page.Page.Locator($"svg#{chart}").GetAttributeAsync("data-points"));
        }
        Assert.Equal(pretrain.Count, await run.Page!.PathVerticesAsync("curve-pretrain-loss"));
        // Axes carry tick labels: at least three per axis.
        Assert.True(await run.Page.Page.Locator("svg#curve-train-loss text").CountAsync() >= 8);
    }

    [Fact]
    public async Task The_density_histogram_draws_one_bar_per_bin_and_the_dead_features_in_red()
    {
        ReportPage.RequireChromium();
        var histogram = JsonNode.Parse(File.ReadAllText(Stage("evaluate", "density_histogram.json")))!;
        var counts = histogram["counts"]!.AsArray();
        Assert.Equal(counts.Count, await run.Page!.Page.Locator("svg#density-histogram rect.bar").CountAsync());
        var dead = (int)counts[0]!;
        Assert.Equal(1, await run.Page.Page.Locator("svg#density-histogram rect.bar.dead").CountAsync());
        Assert.Contains($"{dead} never fired", await run.Page.Page.Locator("#density ~ p.note").First.InnerTextAsync());
    }

    [Fact]
    public async Task Topics_examples_and_steering_show_the_run_s_own_data_with_text_escaped()
    {
        ReportPage.RequireChromium();
        var page = run.Page!.Page;
        var topics = JsonNode.Parse(File.ReadAllText(Stage("evaluate", "topic_matching.json")))!["topics"]!.AsObject();
        Assert.Equal(topics.Count, await page.Locator("table.topics tbody tr").CountAsync());

        var features = JsonNode.Parse(File.ReadAllText(Stage("evaluate", "top_examples.json")))!["features"]!.AsArray();
        Assert.Equal(Math.Min(features.Count, 48), await page.Locator(".feature").CountAsync());
        var first = features[0]!;
        var card = page.Locator($".feature[data-feature=\"{(int)first["feature"]!}\"]");
        Assert.Equal(first["examples"]!.AsArray().Count, await card.Locator(".ex").CountAsync());
        // The example's own token is bold and shaded in proportion to activation / max (the top example: fully).
        Assert.Equal((string)first["examples"]![0]!["token"]!, await card.Locator(".ex i.max").First.InnerTextAsync());
        Assert.Equal("1", await card.Locator(".ex i.max").First.EvaluateAsync<string>("e => getComputedStyle(e).getPropertyValue('--a').trim()"));

        var completions = File.ReadLines(Stage("steer", "completions.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        var prompts = completions.Select(c => (string)c["prompt"]!).Distinct().ToList();
        Assert.Equal(prompts.Count, await page.Locator("details.prompt-block").CountAsync());
        // Prompts hold "<doc>" and quotes: shown as text, not parsed as markup.
        Assert.Equal(prompts, await page.Locator("details.prompt-block summary .prompt").AllInnerTextsAsync());
        // Baseline first, then each setting, the same sample index in a column.
        var table = page.Locator("details.prompt-block").First.Locator("table");
        Assert.Equal("baseline", (await table.Locator("tbody tr.base td.setting").InnerTextAsync()).Split('\n')[0].Trim());
        var baseline0 = completions.First(c => (string)c["prompt"]! == prompts[0] && (string)c["setting"]! == "baseline" && (int)c["sample"]! == 0);
        Assert.Equal((string)baseline0["text"]!, await table.Locator("tbody tr.base td.text").First.InnerTextAsync());
        var summary = JsonNode.Parse(File.ReadAllText(Stage("steer", "summary.json")))!.AsArray();
        Assert.Equal(summary.Count, await page.Locator("table.summary tbody tr").CountAsync());
    }

    [Fact]
    public async Task The_screenshot_is_not_blank()
    {
        ReportPage.RequireChromium();
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], run.Page!.Screenshot[..4]);
        var colours = await run.Page.ScreenshotColoursAsync();
        Assert.True(colours > 20, $"{colours} distinct colours");
    }

    [GeneratedRegex("""(src|href)\s*=\s*["']?\s*(https?:)?//|url\(\s*["']?(https?:)?//""", RegexOptions.IgnoreCase)]
    internal static partial Regex ExternalReference();
}
