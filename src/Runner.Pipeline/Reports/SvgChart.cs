using System.Globalization;
using System.Text;
using static Runner.Pipeline.Reports.Html;

namespace Runner.Pipeline.Reports;

/// <summary>
/// Inline SVG charts with axes, ticks and labels: a line (one path vertex per finite point), a histogram (one
/// rect per bin) and a labelled scatter (one circle per point) with its Pareto frontier. Every chart carries
/// <c>data-chart</c> and <c>data-points</c> (or <c>data-bins</c>) so tests and readers can count what was drawn.
/// </summary>
internal static class SvgChart
{
    private const double Left = 60, Right = 16, Top = 14, Bottom = 42;

    /// <summary>The size of a small chart (a grid cell), in CSS pixels.</summary>
    public static readonly (double W, double H) Small = (360, 230);

    /// <summary>The size of a chart that has a row to itself.</summary>
    public static readonly (double W, double H) Wide = (680, 360);

    /// <summary>A line chart of <paramref name="points"/> (non-finite points leave a gap).</summary>
    public static string Line(string id, IReadOnlyList<(double X, double Y)> points, string xLabel, string yLabel, (double W, double H) size)
    {
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var g = new Geometry(size.W, size.H);
        var b = Open(id, "line", $"data-points=\"{finite.Count}\"", g);
        if (finite.Count == 0) return Empty(b, g);
        var x = Axis.For(finite.Select(p => p.X), fromZero: false);
        var y = Axis.For(finite.Select(p => p.Y), fromZero: false);
        Frame(b, g, x, y, xLabel, yLabel);
        var d = new StringBuilder();
        var pen = false;
        foreach (var (px, py) in points)
        {
            if (!double.IsFinite(px) || !double.IsFinite(py)) { pen = false; continue; }
            d.Append(pen ? 'L' : 'M').Append(C(g.X(x, px))).Append(',').Append(C(g.Y(y, py))).Append(' ');
            pen = true;
        }
        b.Append($"<path class=\"series\" d=\"{d.ToString().TrimEnd()}\"/>");
        if (finite.Count == 1) b.Append($"<circle class=\"dot\" r=\"3\" cx=\"{C(g.X(x, finite[0].X))}\" cy=\"{C(g.Y(y, finite[0].Y))}\"/>");
        return Close(b);
    }

    /// <summary>A histogram: bin i spans [edges[i], edges[i+1]); bins for which <paramref name="highlight"/> is true are drawn red.</summary>
    public static string Histogram(string id, IReadOnlyList<double> edges, IReadOnlyList<double> counts, string xLabel, string yLabel, Func<int, bool> highlight, (double W, double H) size)
    {
        var g = new Geometry(size.W, size.H);
        var b = Open(id, "histogram", $"data-bins=\"{counts.Count}\"", g);
        if (counts.Count == 0 || edges.Count != counts.Count + 1) return Empty(b, g);
        var x = Axis.For([edges[0], edges[^1]], fromZero: false, exact: true);
        var y = Axis.For(counts.Append(1), fromZero: true);
        Frame(b, g, x, y, xLabel, yLabel);
        for (var i = 0; i < counts.Count; i++)
        {
            double x0 = g.X(x, edges[i]), x1 = g.X(x, edges[i + 1]), y0 = g.Y(y, counts[i]);
            b.Append($"<rect class=\"bar{(highlight(i) ? " dead" : "")}\" x=\"{C(x0 + 0.5)}\" y=\"{C(y0)}\" width=\"{C(Math.Max(x1 - x0 - 1, 0.5))}\" height=\"{C(Top + g.PlotH - y0)}\">")
                .Append($"<title>[{N(edges[i])}, {N(edges[i + 1])}): {N(counts[i])}</title></rect>");
        }
        return Close(b);
    }

    /// <summary>A scatter of labelled points (links when <c>Href</c> is set) with the lower-left Pareto frontier drawn through.</summary>
    public static string Scatter(string id, IReadOnlyList<(double X, double Y, string Label, string? Href)> points, string xLabel, string yLabel, (double W, double H) size)
    {
        var finite = points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        var g = new Geometry(size.W, size.H);
        var b = Open(id, "scatter", $"data-points=\"{finite.Count}\"", g);
        if (finite.Count == 0) return Empty(b, g);
        var x = Axis.For(finite.Select(p => p.X), fromZero: false);
        var y = Axis.For(finite.Select(p => p.Y), fromZero: false);
        Frame(b, g, x, y, xLabel, yLabel);
        // Lower is better on both axes: a point is on the frontier when no other is at least as good on both and better on one.
        var front = finite.Where(p => !finite.Any(q => q.X <= p.X && q.Y <= p.Y && (q.X < p.X || q.Y < p.Y))).OrderBy(p => p.X).ToList();
        if (front.Count > 1)
            b.Append($"<path class=\"frontier\" d=\"{string.Join(' ', front.Select((p, i) => $"{(i == 0 ? 'M' : 'L')}{C(g.X(x, p.X))},{C(g.Y(y, p.Y))}"))}\"/>");
        foreach (var p in finite)
        {
            double cx = g.X(x, p.X), cy = g.Y(y, p.Y);
            var onFront = front.Contains(p);
            var dot = $"<circle class=\"dot{(onFront ? " front" : "")}\" r=\"5\" cx=\"{C(cx)}\" cy=\"{C(cy)}\" data-label=\"{E(p.Label)}\"><title>{E(p.Label)}: {E(N(p.X))}, {E(N(p.Y))}</title></circle>";
            // Labels go left of points in the right third, so they stay inside the frame.
            var right = cx > Left + g.PlotW * 0.66;
            var label = $"<text class=\"label\" x=\"{C(cx + (right ? -8 : 8))}\" y=\"{C(cy - 6)}\" text-anchor=\"{(right ? "end" : "start")}\">{E(p.Label)}</text>";
            b.Append(p.Href is null ? dot + label : $"<a href=\"{E(p.Href)}\">{dot}{label}</a>");
        }
        return Close(b);
    }

    private static StringBuilder Open(string id, string kind, string count, Geometry g) =>
        new StringBuilder().Append($"<svg id=\"{E(id)}\" data-chart=\"{kind}\" {count} width=\"{C(g.W)}\" height=\"{C(g.H)}\" viewBox=\"0 0 {C(g.W)} {C(g.H)}\" role=\"img\">");

    private static string Close(StringBuilder b) => b.Append("</svg>").ToString();

    private static string Empty(StringBuilder b, Geometry g) =>
        Close(b.Append($"<text x=\"{C(g.W / 2)}\" y=\"{C(g.H / 2)}\" text-anchor=\"middle\">no data</text>"));

    /// <summary>The plot area inside a chart of W x H and the mapping of axis values to it.</summary>
    private sealed record Geometry(double W, double H)
    {
        public double PlotW => W - Left - Right;

        public double PlotH => H - Top - Bottom;

        public double X(Axis a, double v) => Left + (v - a.Min) / (a.Max - a.Min) * PlotW;

        public double Y(Axis a, double v) => Top + PlotH - (v - a.Min) / (a.Max - a.Min) * PlotH;
    }

    private static void Frame(StringBuilder b, Geometry g, Axis x, Axis y, string xLabel, string yLabel)
    {
        foreach (var t in y.Ticks)
        {
            var py = C(g.Y(y, t));
            b.Append($"<line class=\"grid\" x1=\"{C(Left)}\" x2=\"{C(Left + g.PlotW)}\" y1=\"{py}\" y2=\"{py}\"/>")
                .Append($"<text x=\"{C(Left - 6)}\" y=\"{py}\" dy=\"0.32em\" text-anchor=\"end\">{E(y.Format(t))}</text>");
        }
        foreach (var t in x.Ticks)
        {
            var px = C(g.X(x, t));
            b.Append($"<line class=\"axis\" x1=\"{px}\" x2=\"{px}\" y1=\"{C(Top + g.PlotH)}\" y2=\"{C(Top + g.PlotH + 4)}\"/>")
                .Append($"<text x=\"{px}\" y=\"{C(Top + g.PlotH + 16)}\" text-anchor=\"middle\">{E(x.Format(t))}</text>");
        }
        b.Append($"<line class=\"axis\" x1=\"{C(Left)}\" x2=\"{C(Left + g.PlotW)}\" y1=\"{C(Top + g.PlotH)}\" y2=\"{C(Top + g.PlotH)}\"/>")
            .Append($"<line class=\"axis\" x1=\"{C(Left)}\" x2=\"{C(Left)}\" y1=\"{C(Top)}\" y2=\"{C(Top + g.PlotH)}\"/>")
            .Append($"<text x=\"{C(Left + g.PlotW / 2)}\" y=\"{C(g.H - 6)}\" text-anchor=\"middle\">{E(xLabel)}</text>")
            .Append($"<text transform=\"translate(13 {C(Top + g.PlotH / 2)}) rotate(-90)\" text-anchor=\"middle\">{E(yLabel)}</text>");
    }

    /// <summary>An axis domain widened to round ticks ("nice numbers": steps of 1, 2 or 5 times a power of ten).</summary>
    private sealed record Axis(double Min, double Max, IReadOnlyList<double> Ticks, double Step)
    {
        public static Axis For(IEnumerable<double> values, bool fromZero, bool exact = false)
        {
            var list = values.Where(double.IsFinite).ToList();
            double lo = list.Count == 0 ? 0 : list.Min(), hi = list.Count == 0 ? 1 : list.Max();
            if (fromZero) lo = Math.Min(lo, 0);
            if (hi - lo < 1e-12 * Math.Max(1, Math.Abs(hi)))
            {
                var pad = Math.Abs(hi) > 0 ? Math.Abs(hi) * 0.1 : 1;
                (lo, hi) = (lo >= 0 ? Math.Max(0, lo - pad) : lo - pad, hi + pad);
            }
            var step = NiceStep((hi - lo) / 5);
            if (!exact) (lo, hi) = (Math.Floor(lo / step + 1e-9) * step, Math.Ceiling(hi / step - 1e-9) * step);
            var ticks = new List<double>();
            for (var t = Math.Ceiling(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.Add(Math.Abs(t) < step * 1e-9 ? 0 : t);
            return new Axis(lo, hi, ticks, step);
        }

        public string Format(double v)
        {
            if (v == 0) return "0";
            var a = Math.Max(Math.Abs(Min), Math.Abs(Max));
            if (a >= 1e6 && Step >= 1e5) return Compact(v / 1e6) + "M";
            if (a >= 1e4 && Step >= 100) return Compact(v / 1e3) + "k";
            if (a < 1e-3 && v != 0) return v.ToString("0.#e+0", CultureInfo.InvariantCulture);
            var decimals = Math.Clamp(-(int)Math.Floor(Math.Log10(Step) + 1e-9), 0, 8);
            return v.ToString("F" + decimals, CultureInfo.InvariantCulture);
        }

        private static string Compact(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

        private static double NiceStep(double raw)
        {
            var p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            var f = raw / p;
            return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
        }
    }
}
