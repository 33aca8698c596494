using Microsoft.Playwright;

namespace Runner.Reports.Tests;

/// <summary>
/// A report opened in headless Chromium (Debian's <c>chromium</c>, driven by Playwright with ExecutablePath; no
/// browser download): the console errors, page errors and requests seen while loading, and a screenshot.
/// </summary>
public sealed class ReportPage : IAsyncDisposable
{
    /// <summary>The browser the tests drive: Debian's chromium, or the one RUNNER_CHROMIUM names.</summary>
    public static readonly string ChromiumPath = Environment.GetEnvironmentVariable("RUNNER_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    private ReportPage(IPage page) => Page = page;

    /// <summary>Why the browser tests cannot run here, or null.</summary>
    public static string? SkipReason => File.Exists(ChromiumPath) ? null
        : $"{ChromiumPath} is missing; install it (Debian: apt-get install --no-install-recommends chromium) to test the HTML reports in a browser";

    /// <summary>Skips the calling test without Chromium, or fails it when the environment variable CI is set.</summary>
    public static void RequireChromium()
    {
        if (SkipReason is not { } reason) return;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))) Assert.Fail($"CI is set: {reason}");
        Assert.Skip(reason);
    }

    /// <summary>The loaded page.</summary>
    public IPage Page { get; }

    /// <summary>Console messages of type error, uncaught page errors and failed requests.</summary>
    public List<string> Errors { get; } = [];

    /// <summary>Every URL the page requested (the page itself included).</summary>
    public List<string> Requests { get; } = [];

    /// <summary>A full-page PNG screenshot taken after loading.</summary>
    public byte[] Screenshot { get; private set; } = [];

    /// <summary>Opens <paramref name="htmlFile"/> in a fresh headless Chromium and takes a screenshot.</summary>
    public static async Task<ReportPage> OpenAsync(string htmlFile)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 900 } });
        var report = new ReportPage(page) { _playwright = playwright, _browser = browser };
        page.Console += (_, m) => { if (m.Type == "error") report.Errors.Add($"console: {m.Text}"); };
        page.PageError += (_, e) => report.Errors.Add($"page error: {e}");
        page.RequestFailed += (_, r) => report.Errors.Add($"request failed: {r.Url} {r.Failure}");
        page.Request += (_, r) => report.Requests.Add(r.Url);
        await page.GotoAsync(new Uri(htmlFile).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        report.Screenshot = await page.ScreenshotAsync(new() { FullPage = false });
        return report;
    }

    /// <summary>The number of distinct colours in <see cref="Screenshot"/>, decoded by the browser itself (a canvas).</summary>
    public async Task<int> ScreenshotColoursAsync()
    {
        var blank = await _browser!.NewPageAsync();
        try
        {
            return await blank.EvaluateAsync<int>("""
                async (b64) => {
                  const img = new Image();
                  img.src = 'data:image/png;base64,' + b64;
                  await img.decode();
                  const c = document.createElement('canvas');
                  c.width = img.width; c.height = img.height;
                  const g = c.getContext('2d');
                  g.drawImage(img, 0, 0);
                  const d = g.getImageData(0, 0, c.width, c.height).data;
                  const seen = new Set();
                  for (let i = 0; i < d.length; i += 4) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
                  return seen.size;
                }
                """, Convert.ToBase64String(Screenshot));
        }
        finally
        {
            await blank.CloseAsync();
        }
    }

    /// <summary>The number of vertices (M and L commands) in the <c>d</c> of the first path of class <paramref name="pathClass"/> in the chart <paramref name="chartId"/>.</summary>
    public async Task<int> PathVerticesAsync(string chartId, string pathClass = "series")
    {
        var d = await Page.Locator($"svg#{chartId} path.{pathClass}").First.GetAttributeAsync("d") ?? "";
        return d.Count(c => c is 'M' or 'L');
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }
}
