using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Metrics;

namespace Runner.Cli.Commands;

/// <summary>
/// <c>runner metrics [METRIC] [--markdown | --json]</c>: the metric definitions (<see cref="MetricCatalog"/>): id, the
/// names covered, kind, better direction, version, since, formula, convention, history. <c>--markdown</c> is
/// docs/metrics.md exactly.
/// </summary>
public static class MetricsCommand
{
    /// <summary>The command that regenerates docs/metrics.md (its first line says so).</summary>
    public const string Regenerate = "./runner metrics --markdown > docs/metrics.md";

    /// <summary>Builds the command.</summary>
    public static Command Create(CliContext context)
    {
        var metric = new Argument<string?>("METRIC") { Description = "Show only the definition covering this metric name (evaluate.fvu, steer.bridge_x2.topic_fraction) or id.", Arity = ArgumentArity.ZeroOrOne };
        var markdown = new Option<bool>("--markdown") { Description = "Print the catalog as Markdown (docs/metrics.md)." };
        var json = new Option<bool>("--json") { Description = "Print the catalog as JSON." };
        var command = new Command("metrics", "Print the metric definitions: formula, convention, kind, direction, version.") { metric, markdown, json };
        command.SetAction(r =>
        {
            if (r.GetValue(markdown) && r.GetValue(json)) throw new RunnerException("give at most one of --markdown and --json", exitCode: 2);
            IReadOnlyList<MetricDefinition> definitions = MetricCatalog.All;
            if (r.GetValue(metric) is { } name)
            {
                var found = MetricCatalog.FindById(name) ?? MetricCatalog.Find(name)
                    ?? throw new RunnerException($"no metric definition covers '{name}' (runner metrics lists them all)", exitCode: 2);
                definitions = [found];
            }
            context.Out.Write(r.GetValue(markdown) ? Markdown(definitions) : r.GetValue(json) ? Json(definitions) : Text(definitions));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The kind as the outputs name it: <c>score</c>, <c>throughput</c>.</summary>
    public static string KindName(MetricKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>The direction as baseline files name it: <c>higher_is_better</c>, <c>lower_is_better</c>, <c>two_sided</c>.</summary>
    public static string DirectionName(MetricDirection direction) => direction switch
    {
        MetricDirection.HigherIsBetter => "higher_is_better",
        MetricDirection.LowerIsBetter => "lower_is_better",
        _ => "two_sided",
    };

    private static string Better(MetricDirection direction) => direction switch
    {
        MetricDirection.HigherIsBetter => "higher",
        MetricDirection.LowerIsBetter => "lower",
        _ => "either way",
    };

    /// <summary>The band floor of a kind in words, read off <see cref="MetricDefinition.BandFloor"/>.</summary>
    public static string FloorText(MetricKind kind)
    {
        var d = new MetricDefinition { Id = "x", Pattern = "x", Formula = "", Convention = "", Kind = kind };
        if (!d.Comparable) return "never compared";
        double one = d.BandFloor(1), two = d.BandFloor(2);
        if (one == 0 && two == 0) return "none: must match exactly";
        return one == two ? $"{N(one)} absolute" : $"{N(one * 100)}% of |mean|";
    }

    /// <summary>Plain text: one block per definition.</summary>
    public static string Text(IReadOnlyList<MetricDefinition> definitions)
    {
        var sb = new StringBuilder();
        foreach (var d in definitions)
        {
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(CultureInfo.InvariantCulture, $"{d.Id}  v{d.Version} (since {d.Since})  {KindName(d.Kind)}, better {Better(d.Direction)}\n");
            sb.Append(CultureInfo.InvariantCulture, $"  names:      {d.Pattern}\n");
            sb.Append(CultureInfo.InvariantCulture, $"  formula:    {d.Formula}\n");
            sb.Append(CultureInfo.InvariantCulture, $"  convention: {d.Convention}\n");
            foreach (var c in d.History) sb.Append(CultureInfo.InvariantCulture, $"  v{c.Version} (since {c.Since}): {c.What}\n");
        }
        return sb.ToString();
    }

    /// <summary>JSON: <c>{"format": "runner-metric-definitions", "version": 1, "definitions": [...]}</c>.</summary>
    public static string Json(IReadOnlyList<MetricDefinition> definitions)
    {
        var list = new JsonArray();
        foreach (var d in definitions)
            list.Add(new JsonObject
            {
                ["id"] = d.Id,
                ["pattern"] = d.Pattern,
                ["kind"] = KindName(d.Kind),
                ["direction"] = DirectionName(d.Direction),
                ["comparable"] = d.Comparable,
                ["version"] = d.Version,
                ["since"] = d.Since,
                ["formula"] = d.Formula,
                ["convention"] = d.Convention,
                ["history"] = new JsonArray([.. d.History.Select(c => (JsonNode)new JsonObject { ["version"] = c.Version, ["since"] = c.Since, ["what"] = c.What })]),
            });
        var doc = new JsonObject { ["format"] = "runner-metric-definitions", ["version"] = 1, ["definitions"] = list };
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
    }

    /// <summary>Markdown, as docs/metrics.md holds it (its first line says how to regenerate it).</summary>
    public static string Markdown(IReadOnlyList<MetricDefinition> definitions)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<!-- Generated from src/Runner.Pipeline/Metrics/MetricCatalog*.cs: regenerate with `{Regenerate}`, do not edit. -->\n");
        sb.Append("""
            # Metric definitions

            Every metric Runner writes to `metrics.json` (and MLflow) has a definition: a stable **id**, the metric
            **names** it covers, its **formula** and **convention** (what distinguishes it from same-named metrics
            elsewhere), a **kind**, the direction that is **better**, and a **version** that changes whenever the
            number it yields for the same run would change (**history** says what changed). In the names, `<name>` is
            one dot-free segment, `<name...>` one or more segments (a steering label may hold dots: `bridge_x0.5`), and
            `*` inside a segment any dot-free text (`hooks*`: `hooks`, `hooks_after_train`, …).

            Where versions are recorded: `metrics.json`'s `definitions` (id → version, for the ids its metrics use;
            see [formats](formats.md)), the MLflow tags `runner.metric_def.<id>`, and baseline files. A record made before
            definitions were versioned (a flat `metrics.json`, a run without the tags) is read as version 1 of every
            definition. `runner reproduce` (and `runner check`) do not compare a metric whose recorded version differs
            from this Runner's: its row says `definition changed: v1 → v2 (what changed)`, neither a pass nor a fail.


            """);
        sb.Append("| kind | band floor (the smallest seed-band tolerance) |\n|---|---|\n");
        foreach (var kind in Enum.GetValues<MetricKind>()) sb.Append(CultureInfo.InvariantCulture, $"| {KindName(kind)} | {Cell(FloorText(kind))} |\n");
        sb.Append("\n| id | names | kind | better | version | since | formula | convention |\n|---|---|---|---|---|---|---|---|\n");
        foreach (var d in definitions)
            sb.Append(CultureInfo.InvariantCulture,
                $"| {Cell(d.Id)} | `{d.Pattern}` | {KindName(d.Kind)} | {Better(d.Direction)} | {d.Version} | {Cell(d.Since)} | {Cell(d.Formula)} | {Cell(d.Convention)} |\n");
        sb.Append("\n## History\n\n");
        var changed = definitions.Where(d => d.History.Count > 0).ToList();
        if (changed.Count == 0) sb.Append("No definition has changed yet: every one is at version 1.\n");
        foreach (var d in changed)
            foreach (var c in d.History)
                sb.Append(CultureInfo.InvariantCulture, $"- {Cell(d.Id)} v{c.Version} (since {Cell(c.Since)}): {Cell(c.What)}\n");
        return sb.ToString();
    }

    // Text in a Markdown table cell: '|' would end the cell, '<' could open an HTML tag, '*' and '_' could emphasize.
    private static string Cell(string text) => text.Replace("\\", "\\\\").Replace("|", "\\|").Replace("<", "&lt;").Replace("*", "\\*");

    private static string N(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
}
