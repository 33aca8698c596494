using System.Globalization;
using System.Net;
using System.Text;

namespace Runner.Pipeline.Reports;

/// <summary>
/// The page shell shared by the run and sweep reports: escaping, number formatting, the style sheet and an atomic
/// write. Pages are self-contained: inline CSS and SVG, no scripts, no fonts, no links outside the runs folder.
/// </summary>
internal static class Html
{
    /// <summary>Text for element content and attribute values (&lt; &gt; &amp; " ' escaped).</summary>
    public static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A number as people read it: 4 significant digits, invariant culture ("1.2e-05", "0.9812", "2048").</summary>
    public static string N(double v) =>
        double.IsFinite(v) ? v.ToString(Math.Abs(v) is >= 1e-3 and < 1e6 or 0 ? "0.####" : "0.###e+0", CultureInfo.InvariantCulture)
            : double.IsNaN(v) ? "NaN" : v > 0 ? "inf" : "-inf";

    /// <summary>A number for SVG coordinates (2 decimals, invariant).</summary>
    public static string C(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>The whole page around <paramref name="body"/>.</summary>
    public static string Page(string title, string body) =>
        $"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{E(title)}</title>
        <style>{Css}</style>
        </head>
        <body>
        <main>
        {body}
        <footer>Written by Runner from the files of this folder; no network resources.</footer>
        </main>
        </body>
        </html>

        """;

    /// <summary>Writes <paramref name="text"/> to a temp file beside <paramref name="path"/>, then renames it into place.</summary>
    public static void WriteAtomically(string path, string text)
    {
        var temp = Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, text, new UTF8Encoding(false));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>
    /// A table: header cells and rows of already-escaped cell HTML; <paramref name="rowClass"/> and
    /// <paramref name="cellClass"/> give optional classes by row index and column index.
    /// </summary>
    public static void Table(StringBuilder b, IEnumerable<string> header, IEnumerable<IEnumerable<string>> rows, string? cssClass = null,
        Func<int, string?>? rowClass = null, Func<int, string?>? cellClass = null)
    {
        static string Class(string? c) => c is null ? "" : $" class=\"{c}\"";
        b.Append($"<table{Class(cssClass)}><thead><tr>");
        foreach (var h in header) b.Append("<th>").Append(h).Append("</th>");
        b.Append("</tr></thead><tbody>\n");
        var r = 0;
        foreach (var row in rows)
        {
            b.Append($"<tr{Class(rowClass?.Invoke(r++))}>");
            var c = 0;
            foreach (var cell in row) b.Append($"<td{Class(cellClass?.Invoke(c++))}>").Append(cell).Append("</td>");
            b.Append("</tr>\n");
        }
        b.Append("</tbody></table>\n");
    }

    /// <summary>A grid of labelled numbers (the key metrics).</summary>
    public static void Cards(StringBuilder b, IEnumerable<(string Label, string Name, double Value)> cards)
    {
        b.Append("<div class=\"cards\">");
        foreach (var (label, name, value) in cards)
            b.Append($"<div class=\"card\" title=\"{E(name)}\"><div class=\"v\">{E(N(value))}</div><div class=\"l\">{E(label)}</div></div>");
        b.Append("</div>\n");
    }

    /// <summary>A note saying why a section is empty or partial.</summary>
    public static string Note(string text) => $"<p class=\"note\">{E(text)}</p>\n";

    private const string Css = """

        :root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --soft: #f6f8fa; --accent: #0969da; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--soft); color: var(--fg); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
        main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; background: var(--bg); min-height: 100vh; }
        h1 { font-size: 24px; margin: 0 0 4px; } h1 small { color: var(--muted); font-weight: 400; }
        h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
        h3 { font-size: 14px; margin: 16px 0 6px; }
        a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
        .meta { color: var(--muted); margin: 0 0 12px; } .meta code { color: var(--fg); }
        code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
        table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
        th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        th { background: var(--soft); font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        tbody tr:hover { background: #f3f6fa; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin: 10px 0; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
        .card .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; } .card .l { color: var(--muted); font-size: 12px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 14px; }
        .scroll { overflow-x: auto; } th .stage { color: var(--muted); font-weight: 400; font-size: 11px; }
        figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px 8px 2px; }
        figure.wide { max-width: 700px; }
        figcaption { font-weight: 600; font-size: 13px; margin: 0 4px 2px; }
        svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
        svg text { font: 11px system-ui, "DejaVu Sans", sans-serif; fill: var(--muted); }
        svg .grid { stroke: #eaeef2; } svg .axis { stroke: #8c959f; }
        svg .series { fill: none; stroke: var(--accent); stroke-width: 1.8; }
        svg .bar { fill: #54aeff; } svg .bar.dead { fill: #ff8182; }
        svg .dot { fill: var(--accent); stroke: #fff; stroke-width: 1.5; } svg .dot.front { fill: #cf222e; }
        svg .frontier { fill: none; stroke: #cf222e; stroke-width: 1.5; stroke-dasharray: 5 4; }
        svg text.label { fill: var(--fg); font-size: 11px; }
        .pr { white-space: nowrap; color: var(--muted); }
        .note { color: var(--muted); font-size: 13px; }
        .features { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px; }
        .feature { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
        .feature h3 { margin: 2px 0 6px; } .feature h3 .tag { background: #ddf4ff; color: #0550ae; border-radius: 10px; padding: 1px 8px; font-size: 12px; font-weight: 500; margin-left: 6px; }
        .feature h3 small { color: var(--muted); font-weight: 400; }
        .ex { display: flex; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; margin: 2px 0; white-space: pre; }
        .ex .act { flex: none; width: 52px; color: var(--muted); text-align: right; margin-right: 10px; }
        .ex .l { flex: 1 1 0; min-width: 0; display: flex; justify-content: flex-end; overflow: hidden; } .ex .l > span { flex: none; }
        .ex .r { flex: 1 1 0; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
        .ex i { font-style: normal; border-radius: 3px; padding: 0 1px; background: rgb(251 133 0 / var(--a, 0)); }
        .ex i.max { font-weight: 700; outline: 1px solid rgb(188 76 0 / 60%); }
        details > summary { cursor: pointer; color: var(--accent); margin: 6px 0; }
        .steer td.text { font-size: 12.5px; min-width: 180px; } .steer tr.base td { background: #f6f8fa; }
        .steer td.setting { white-space: nowrap; font-weight: 600; } .steer td.setting small { display: block; font-weight: 400; color: var(--muted); }
        .prompt { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background: var(--soft); padding: 2px 6px; border-radius: 4px; }
        .ok { color: #1a7f37; } .cached { color: var(--muted); } .bad { color: #cf222e; }
        footer { margin-top: 36px; color: var(--muted); font-size: 12px; }

        """;
}
