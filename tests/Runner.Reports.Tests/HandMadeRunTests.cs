using System.Text.Json.Nodes;
using Runner.Pipeline.Reports;

namespace Runner.Reports.Tests;

/// <summary>
/// Reports of small run folders written by hand: hostile token text is shown as text, never markup, and a run
/// with only some outputs gets only those sections.
/// </summary>
public sealed class HandMadeRunTests : IDisposable
{
    private const string Hostile = "<script>console.error('injected')</script>&amp;\"'";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "runner-report-tests", Guid.NewGuid().ToString("N"));

    public HandMadeRunTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "stages", "evaluate"));
        File.WriteAllText(Path.Combine(_dir, "stages.json"), new JsonObject
        {
            ["experiment"] = "hand<made>", ["run_name"] = "r&1", ["point"] = 0, ["spec_hash"] = "abc", ["varied"] = new JsonObject(),
            ["started"] = "2026-01-01T00:00:00Z", ["finished"] = "2026-01-01T00:00:05Z",
            ["stages"] = new JsonArray(new JsonObject { ["name"] = "evaluate", ["key"] = "k1", ["status"] = "computed", ["seconds"] = 1.5, ["entry"] = "" }),
        }.ToJsonString());
        File.WriteAllText(Path.Combine(_dir, "metrics.json"), """{ "evaluate.fvu": 0.25, "evaluate.l0": 7 }""");
        var example = new JsonObject
        {
            ["activation"] = 2.0, ["sequence"] = 3, ["position"] = 11, ["token"] = Hostile,
            ["context_tokens"] = new JsonArray("a", "<b>", Hostile, "&lt;"), ["token_index_in_context"] = 2,
        };
        var neighbour = new JsonObject
        {
            // The same sequence one position later: its activation shades that token in the first example's context.
            ["activation"] = 1.0, ["sequence"] = 3, ["position"] = 12, ["token"] = "&lt;",
            ["context_tokens"] = new JsonArray("<b>", Hostile, "&lt;"), ["token_index_in_context"] = 2,
        };
        File.WriteAllText(Path.Combine(_dir, "stages", "evaluate", "top_examples.json"), new JsonObject
        {
            ["format"] = "runner-top-examples", ["version"] = 1, ["window"] = 2,
            ["features"] = new JsonArray(new JsonObject { ["feature"] = 9, ["max_activation"] = 2.0, ["density"] = 0.01, ["examples"] = new JsonArray(example, neighbour) }),
        }.ToJsonString());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public void Token_text_and_names_are_escaped_in_the_html()
    {
        var html = File.ReadAllText(RunReport.Write(_dir));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>", html);
        Assert.Contains("&lt;script&gt;console.error(&#39;injected&#39;)&lt;/script&gt;&amp;amp;&quot;&#39;", html);
        Assert.Contains("<title>hand&lt;made&gt; / r&amp;1</title>", html);
    }

    [Fact]
    public void A_run_with_only_metrics_and_top_examples_gets_only_those_sections()
    {
        var html = File.ReadAllText(RunReport.Write(_dir));
        Assert.Contains("id=\"metrics\"", html);
        Assert.Contains("id=\"examples\"", html);
        foreach (var absent in new[] { "id=\"curves\"", "id=\"density\"", "id=\"topics\"", "id=\"steering\"" }) Assert.DoesNotContain(absent, html);
        Assert.False(Directory.EnumerateFiles(_dir, "*.tmp", SearchOption.AllDirectories).Any(), "no temp file is left behind");
    }

    [Fact]
    public async Task Chromium_shows_hostile_tokens_as_text_and_shades_a_context_token_by_its_known_activation()
    {
        ReportPage.RequireChromium();
        await using var page = await ReportPage.OpenAsync(RunReport.Write(_dir));
        Assert.Empty(page.Errors);
        Assert.Equal(0, await page.Page.Locator("main script, main b").CountAsync());
        var first = page.Page.Locator(".ex").First;
        Assert.Equal(Hostile, await first.Locator("i.max").InnerTextAsync());
        Assert.Equal("a <b>", (await first.Locator(".l").InnerTextAsync()).Trim());
        // "&lt;" at position 12 is the second example's token: activation 1 of max 2.
        Assert.Equal("0.5", await first.Locator(".r i").EvaluateAsync<string>("e => getComputedStyle(e).getPropertyValue('--a').trim()"));
        Assert.Equal("&lt;", await first.Locator(".r i").InnerTextAsync());
    }

    [Fact]
    public void A_folder_without_stages_json_is_a_clear_error()
    {
        var empty = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(empty);
        var e = Assert.Throws<Runner.Core.RunnerException>(() => RunReport.Write(empty));
        Assert.Equal(2, e.ExitCode);
        Assert.StartsWith($"{empty} is not a readable run folder:", e.Message);
    }
}
