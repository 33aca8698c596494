using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;

namespace Runner.Cli.Commands;

/// <summary>Which way a baseline metric may move without being a regression.</summary>
public enum BaselineDirection
{
    /// <summary>Higher is better: a regression is a value below <c>value − tolerance</c>.</summary>
    HigherIsBetter,
    /// <summary>Lower is better: a regression is a value above <c>value + tolerance</c>.</summary>
    LowerIsBetter,
    /// <summary>Either way is a regression outside <c>value ± tolerance</c>.</summary>
    TwoSided,
}

/// <summary>One metric of a baseline file: the expected value, how far it may move, and which way is better.</summary>
public sealed record BaselineMetric
{
    /// <summary>The expected value; null for an entry not measured yet (<c>--update</c> fills it in).</summary>
    public double? Value { get; init; }

    /// <summary>The allowed deviation (≥ 0), absolute or, when <see cref="Relative"/>, a fraction of |value|.</summary>
    public double Tolerance { get; init; }

    /// <summary>True when <see cref="Tolerance"/> is a fraction of |value|.</summary>
    public bool Relative { get; init; }

    /// <summary>Which way is better.</summary>
    public BaselineDirection Direction { get; init; } = BaselineDirection.TwoSided;

    /// <summary>The absolute allowed deviation.</summary>
    public double AbsoluteTolerance => Relative ? Tolerance * Math.Abs(Value ?? 0) : Tolerance;
}

/// <summary>How one observed metric compares with its baseline entry.</summary>
public enum CheckStatus
{
    /// <summary>Within tolerance.</summary>
    Ok,
    /// <summary>Better than the baseline by more than the tolerance (passes; consider <c>--update</c>).</summary>
    Improved,
    /// <summary>Worse than the tolerance allows.</summary>
    Regression,
    /// <summary>The run produced no such metric (its run failed, or the name is wrong).</summary>
    Missing,
    /// <summary>The baseline entry has no value yet.</summary>
    NoValue,
    /// <summary>Not a metric: a run whose stage failed (its later metrics are missing, its earlier ones are checked).</summary>
    RunFailed,
}

/// <summary>
/// A regression baseline file: <c>{"format":"runner-baseline","version":1,"metrics":{"EXPERIMENT/evaluate.fvu":
/// {"value":0.07,"tolerance":0.02,"relative":false,"direction":"lower_is_better"}}}</c>, metric keys in the file's order.
/// </summary>
public sealed class Baseline
{
    /// <summary>The <c>format</c> value.</summary>
    public const string Format = "runner-baseline";

    /// <summary>The tolerance <c>--update</c> gives a metric the baseline did not have: 10% of its value, two-sided.</summary>
    public const double DefaultRelativeTolerance = 0.1;

    /// <summary>The absolute tolerance a new metric whose value is 0 gets instead (10% of 0 would demand exactly 0).</summary>
    public const double DefaultZeroTolerance = 1e-6;

    /// <summary>The metrics, by key, in file order.</summary>
    public List<KeyValuePair<string, BaselineMetric>> Metrics { get; } = [];

    /// <summary>Reads and validates <paramref name="path"/>; every problem names the file and the key (exit 2).</summary>
    public static Baseline Load(string path, string shown)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (FileNotFoundException) { throw new RunnerException($"{shown}: no such baseline file (create it with --update)", 2); }
        catch (DirectoryNotFoundException) { throw new RunnerException($"{shown}: no such baseline file (create it with --update)", 2); }
        catch (JsonException e) { throw new RunnerException($"{shown}: not valid JSON: {e.Message}", 2); }
        if (root is not JsonObject o) throw Error(shown, "(root)", "expected an object");
        foreach (var key in o.Select(p => p.Key))
            if (key is not ("format" or "version" or "metrics")) throw Error(shown, key, "unknown key (expected format, version, metrics)");
        if (o["format"] is not JsonValue f || !f.TryGetValue<string>(out var format) || format != Format)
            throw Error(shown, "format", $"must be \"{Format}\"");
        if (o["version"] is not JsonValue v || !v.TryGetValue<int>(out var version) || version != 1)
            throw Error(shown, "version", "must be 1");
        if (o["metrics"] is not JsonObject metrics) throw Error(shown, "metrics", "expected an object of metric name -> { value, tolerance, relative, direction }");
        var baseline = new Baseline();
        foreach (var (name, node) in metrics)
        {
            var at = $"metrics.{name}";
            if (node is not JsonObject m) throw Error(shown, at, "expected an object { value, tolerance, relative, direction }");
            foreach (var key in m.Select(p => p.Key))
                if (key is not ("value" or "tolerance" or "relative" or "direction"))
                    throw Error(shown, $"{at}.{key}", "unknown key (expected value, tolerance, relative, direction)");
            double? value = m["value"] is null ? null : Number(m["value"], shown, $"{at}.value");
            if (m["tolerance"] is null) throw Error(shown, $"{at}.tolerance", "required (a number >= 0)");
            var tolerance = Number(m["tolerance"], shown, $"{at}.tolerance");
            if (tolerance < 0) throw Error(shown, $"{at}.tolerance", $"must be >= 0, got {Show(tolerance)}");
            var relative = false;
            if (m["relative"] is { } r && (r is not JsonValue rv || !rv.TryGetValue(out relative)))
                throw Error(shown, $"{at}.relative", "expected true or false");
            var direction = m["direction"] switch
            {
                null => BaselineDirection.TwoSided,
                JsonValue d when d.TryGetValue<string>(out var s) && ParseDirection(s) is { } parsed => parsed,
                _ => throw Error(shown, $"{at}.direction", "expected higher_is_better, lower_is_better or two_sided"),
            };
            baseline.Metrics.Add(KeyValuePair.Create(name, new BaselineMetric { Value = value, Tolerance = tolerance, Relative = relative, Direction = direction }));
        }
        return baseline;
    }

    /// <summary>The file's JSON text (indented, metrics in order, a final newline).</summary>
    public string ToJson()
    {
        var metrics = new JsonObject();
        foreach (var (name, m) in Metrics)
            metrics[name] = new JsonObject
            {
                ["value"] = m.Value is { } v ? JsonValue.Create(v) : null,
                ["tolerance"] = m.Tolerance,
                ["relative"] = m.Relative,
                ["direction"] = DirectionName(m.Direction),
            };
        var root = new JsonObject { ["format"] = Format, ["version"] = 1, ["metrics"] = metrics };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> through a temporary file and a rename.</summary>
    public void Save(string path) => AtomicFile.Write(path, ToJson());

    /// <summary>Compares <paramref name="observed"/> with <paramref name="expected"/>.</summary>
    public static CheckStatus Compare(BaselineMetric expected, double? observed)
    {
        if (observed is not { } x) return CheckStatus.Missing;
        if (expected.Value is not { } value) return CheckStatus.NoValue;
        if (double.IsNaN(x)) return CheckStatus.Regression;
        var tolerance = expected.AbsoluteTolerance;
        var worse = expected.Direction switch
        {
            BaselineDirection.LowerIsBetter => x > value + tolerance,
            BaselineDirection.HigherIsBetter => x < value - tolerance,
            _ => Math.Abs(x - value) > tolerance,
        };
        if (worse) return CheckStatus.Regression;
        var better = expected.Direction switch
        {
            BaselineDirection.LowerIsBetter => x < value - tolerance,
            BaselineDirection.HigherIsBetter => x > value + tolerance,
            _ => false,
        };
        return better ? CheckStatus.Improved : CheckStatus.Ok;
    }

    /// <summary>The file spelling of a direction.</summary>
    public static string DirectionName(BaselineDirection d) => d switch
    {
        BaselineDirection.HigherIsBetter => "higher_is_better",
        BaselineDirection.LowerIsBetter => "lower_is_better",
        _ => "two_sided",
    };

    /// <summary>A number as tables and messages show it (invariant, round-trippable).</summary>
    public static string Show(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static BaselineDirection? ParseDirection(string s) => s switch
    {
        "higher_is_better" => BaselineDirection.HigherIsBetter,
        "lower_is_better" => BaselineDirection.LowerIsBetter,
        "two_sided" => BaselineDirection.TwoSided,
        _ => null,
    };

    private static double Number(JsonNode? node, string shown, string at) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && double.IsFinite(d)
            ? d
            : throw Error(shown, at, "expected a finite number");

    private static RunnerException Error(string shown, string at, string message) => new($"{shown}: {at}: {message}", 2);
}

/// <summary>Writes text files through a temporary name in the same folder and a rename.</summary>
internal static class AtomicFile
{
    public static void Write(string path, string text)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
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
}
