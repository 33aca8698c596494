using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Runs;

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

/// <summary>The definition a baseline value was measured under: a metric id of <see cref="MetricCatalog"/> and its version.</summary>
public sealed record MetricVersion(string Id, int Version)
{
    /// <summary>The current definition of <paramref name="metricName"/> (null when the catalog has none).</summary>
    public static MetricVersion? Current(string metricName) =>
        MetricCatalog.Find(metricName) is { } d ? new MetricVersion(d.Id, d.Version) : null;
}

/// <summary>
/// One metric of a baseline file: the expected value, how far it may move, and which way is better. A version 1 entry
/// holds a value and a hand-set tolerance; a version 2 entry (a seed band, <c>runner baseline</c>) holds the band of
/// N seeds, its <see cref="Value"/> the band's mean and its tolerance <c>max(sigmas·σ, floor)</c>.
/// </summary>
public sealed record BaselineMetric
{
    /// <summary>The expected value (a band's mean); null for an entry not measured yet (<c>--update</c> fills it in).</summary>
    public double? Value { get; init; }

    /// <summary>The allowed deviation (≥ 0), absolute or, when <see cref="Relative"/>, a fraction of |value|.</summary>
    public double Tolerance { get; init; }

    /// <summary>True when <see cref="Tolerance"/> is a fraction of |value|.</summary>
    public bool Relative { get; init; }

    /// <summary>Which way is better.</summary>
    public BaselineDirection Direction { get; init; } = BaselineDirection.TwoSided;

    /// <summary>The definition the value was measured under; null for an entry written before definitions were versioned (taken as v1).</summary>
    public MetricVersion? Definition { get; init; }

    /// <summary>The seed band (version 2 files); null for a hand-set tolerance.</summary>
    public SeedBand? Band { get; init; }

    /// <summary>The band's per-seed values, in seed order (version 2 files; informational).</summary>
    public IReadOnlyList<double>? Values { get; init; }

    /// <summary>The metric's kind as the band file names it (informational: the floor came from it).</summary>
    public string? Kind { get; init; }

    /// <summary>The absolute allowed deviation of one run.</summary>
    public double AbsoluteTolerance => Band is not null ? Tolerance : Relative ? Tolerance * Math.Abs(Value ?? 0) : Tolerance;

    /// <summary>
    /// The absolute allowed deviation of the mean of <paramref name="seeds"/> runs: a band's tolerance shrinks as
    /// <see cref="SeedBand.ToleranceFor(double, int)"/> says, down to its floor; a hand-set tolerance stays as it is.
    /// </summary>
    public double ToleranceFor(int seeds) => Band is { } b ? b.ToleranceFor(Tolerance, seeds) : AbsoluteTolerance;
}

/// <summary>Where and how a band file was measured (version 2 files).</summary>
public sealed record BaselineProvenance
{
    /// <summary>The Runner version that measured it.</summary>
    public required string Runner { get; init; }

    /// <summary>The git commit of the checkout, when known.</summary>
    public string? Commit { get; init; }

    /// <summary>The libtorch version (and shim ABI) it ran on.</summary>
    public required string Libtorch { get; init; }

    /// <summary>The device class: <c>cpu</c>, or <c>cuda (GPU name)</c>.</summary>
    public required string DeviceClass { get; init; }

    /// <summary>The seeds, in order.</summary>
    public required IReadOnlyList<long> Seeds { get; init; }

    /// <summary>The band half-width in standard deviations.</summary>
    public double Sigmas { get; init; } = SeedBand.DefaultSigmas;

    /// <summary>When it was measured (ISO 8601, UTC).</summary>
    public string? Created { get; init; }

    /// <summary>The spec files, as given.</summary>
    public IReadOnlyList<string> Specs { get; init; } = [];
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
    /// <summary>The baseline was measured under another definition of the metric: not compared (neither a pass nor a fail).</summary>
    DefinitionChanged,
}

/// <summary>
/// A regression baseline file. Version 1: <c>{"format":"runner-baseline","version":1,"metrics":{"EXPERIMENT/evaluate.fvu":
/// {"value":0.07,"tolerance":0.02,"relative":false,"direction":"lower_is_better","definition":{"id":"fvu","version":1}}}}</c>.
/// Version 2, a seed band file written by <c>runner baseline</c>: provenance (runner, commit, libtorch, device class, seeds,
/// sigmas) and per metric <c>{"definition","kind","direction","n","mean","std","min","max","values","floor","tolerance"}</c>.
/// Metric keys in the file's order.
/// </summary>
public sealed class Baseline
{
    /// <summary>The <c>format</c> value.</summary>
    public const string Format = "runner-baseline";

    /// <summary>The tolerance <c>--update</c> gives a metric the baseline did not have: 10% of its value, two-sided.</summary>
    public const double DefaultRelativeTolerance = 0.1;

    /// <summary>The absolute tolerance a new metric whose value is 0 gets instead (10% of 0 would demand exactly 0).</summary>
    public const double DefaultZeroTolerance = 1e-6;

    private static readonly string[] V1Keys = ["value", "tolerance", "relative", "direction", "definition"];
    private static readonly string[] V2Keys = ["definition", "kind", "direction", "n", "mean", "std", "min", "max", "values", "floor", "tolerance"];
    private static readonly string[] V2RootKeys = ["format", "version", "runner", "commit", "libtorch", "device_class", "seeds", "sigmas", "created", "specs", "metrics"];

    /// <summary>1 (values with hand-set tolerances) or 2 (seed bands).</summary>
    public int Version { get; init; } = 1;

    /// <summary>Where a band file was measured (version 2).</summary>
    public BaselineProvenance? Provenance { get; init; }

    /// <summary>The metrics, by key, in file order.</summary>
    public List<KeyValuePair<string, BaselineMetric>> Metrics { get; } = [];

    /// <summary>True for a seed band file.</summary>
    public bool IsBand => Version == 2;

    /// <summary>The metric name of a baseline key (<c>EXPERIMENT[/RUN]/metric</c>): the part after the last <c>/</c>.</summary>
    public static string MetricName(string key) => key[(key.LastIndexOf('/') + 1)..];

    /// <summary>Reads and validates <paramref name="path"/>; every problem names the file and the key (exit 2).</summary>
    public static Baseline Load(string path, string shown)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (FileNotFoundException) { throw new RunnerException($"{shown}: no such baseline file (create it with --update, or a seed band with runner baseline --out)", 2); }
        catch (DirectoryNotFoundException) { throw new RunnerException($"{shown}: no such baseline file (create it with --update, or a seed band with runner baseline --out)", 2); }
        catch (JsonException e) { throw new RunnerException($"{shown}: not valid JSON: {e.Message}", 2); }
        if (root is not JsonObject o) throw Error(shown, "(root)", "expected an object");
        if (o["format"] is not JsonValue f || !f.TryGetValue<string>(out var format) || format != Format)
            throw Error(shown, "format", $"must be \"{Format}\"");
        if (o["version"] is not JsonValue v || !v.TryGetValue<int>(out var version) || version is not (1 or 2))
            throw Error(shown, "version", "must be 1 (values with tolerances) or 2 (seed bands, written by runner baseline)");
        var rootKeys = version == 1 ? ["format", "version", "metrics"] : V2RootKeys;
        foreach (var key in o.Select(p => p.Key))
            if (!rootKeys.Contains(key)) throw Error(shown, key, $"unknown key (a version {version} baseline has {string.Join(", ", rootKeys)})");
        if (o["metrics"] is not JsonObject metrics)
            throw Error(shown, "metrics", version == 1
                ? "expected an object of metric name -> { value, tolerance, relative, direction }"
                : "expected an object of metric name -> { definition, kind, direction, n, mean, std, min, max, values, floor, tolerance }");
        if (metrics.Count == 0) throw Error(shown, "metrics", "empty: a baseline names at least one metric");
        var baseline = new Baseline { Version = version, Provenance = version == 2 ? LoadProvenance(o, shown) : null };
        foreach (var (name, node) in metrics)
        {
            var at = $"metrics.{name}";
            if (!name.Contains('/')) throw Error(shown, at, "expected a key EXPERIMENT/metric or EXPERIMENT/RUN/metric");
            var keys = version == 1 ? V1Keys : V2Keys;
            if (node is not JsonObject m) throw Error(shown, at, $"expected an object {{ {string.Join(", ", keys)} }}");
            foreach (var key in m.Select(p => p.Key))
                if (!keys.Contains(key))
                    throw Error(shown, $"{at}.{key}", $"unknown key (a version {version} entry has {string.Join(", ", keys)})");
            var direction = m["direction"] switch
            {
                null => BaselineDirection.TwoSided,
                JsonValue d when d.TryGetValue<string>(out var s) && ParseDirection(s) is { } parsed => parsed,
                _ => throw Error(shown, $"{at}.direction", "expected higher_is_better, lower_is_better or two_sided"),
            };
            var definition = m["definition"] is null ? null : LoadDefinition(m["definition"], shown, $"{at}.definition");
            baseline.Metrics.Add(KeyValuePair.Create(name, version == 1
                ? LoadV1(m, shown, at) with { Direction = direction, Definition = definition }
                : LoadV2(m, shown, at) with { Direction = direction, Definition = definition }));
        }
        return baseline;
    }

    private static BaselineMetric LoadV1(JsonObject m, string shown, string at)
    {
        double? value = m["value"] is null ? null : Number(m["value"], shown, $"{at}.value");
        if (m["tolerance"] is null) throw Error(shown, $"{at}.tolerance", "required (a number >= 0)");
        var tolerance = NonNegative(m["tolerance"], shown, $"{at}.tolerance");
        var relative = false;
        if (m["relative"] is { } r && (r is not JsonValue rv || !rv.TryGetValue(out relative)))
            throw Error(shown, $"{at}.relative", "expected true or false");
        return new BaselineMetric { Value = value, Tolerance = tolerance, Relative = relative };
    }

    private static BaselineMetric LoadV2(JsonObject m, string shown, string at)
    {
        foreach (var key in (string[])["n", "mean", "std", "min", "max", "floor", "tolerance"])
            if (m[key] is null) throw Error(shown, $"{at}.{key}", "required in a seed band (runner baseline writes n, mean, std, min, max, floor, tolerance)");
        if (m["n"] is not JsonValue nv || !nv.TryGetValue<int>(out var n))
            throw Error(shown, $"{at}.n", "expected an integer: the number of seeds");
        if (n < 2) throw Error(shown, $"{at}.n", $"must be at least 2 (a band needs the spread of two seeds or more), got {n}");
        var mean = Number(m["mean"], shown, $"{at}.mean");
        var std = NonNegative(m["std"], shown, $"{at}.std");
        var min = Number(m["min"], shown, $"{at}.min");
        var max = Number(m["max"], shown, $"{at}.max");
        var slack = 1e-9 * Math.Max(1, Math.Abs(mean));
        if (min > mean + slack || mean > max + slack) throw Error(shown, $"{at}.mean", $"must lie between min and max ({Show(min)} <= {Show(mean)} <= {Show(max)} does not hold)");
        var floor = NonNegative(m["floor"], shown, $"{at}.floor");
        var tolerance = NonNegative(m["tolerance"], shown, $"{at}.tolerance");
        List<double>? values = null;
        if (m["values"] is { } vs)
        {
            if (vs is not JsonArray array) throw Error(shown, $"{at}.values", "expected an array of numbers, one per seed");
            values = array.Select((x, i) => Number(x, shown, $"{at}.values[{i}]")).ToList();
            if (values.Count != n) throw Error(shown, $"{at}.values", $"has {values.Count} values but n is {n}");
        }
        string? kind = null;
        if (m["kind"] is { } k && (k is not JsonValue kv || !kv.TryGetValue(out kind)))
            throw Error(shown, $"{at}.kind", "expected a string (score, fraction, count, loss, sparsity, size)");
        return new BaselineMetric
        {
            Value = mean, Tolerance = tolerance, Kind = kind, Values = values,
            Band = new SeedBand(mean, std, min, max, n, floor, tolerance),
        };
    }

    private static MetricVersion LoadDefinition(JsonNode? node, string shown, string at)
    {
        if (node is not JsonObject d) throw Error(shown, at, "expected { \"id\": \"...\", \"version\": N }");
        foreach (var key in d.Select(p => p.Key))
            if (key is not ("id" or "version")) throw Error(shown, $"{at}.{key}", "unknown key (expected id, version)");
        if (d["id"] is not JsonValue iv || !iv.TryGetValue<string>(out var id) || id.Length == 0) throw Error(shown, $"{at}.id", "expected the metric's definition id (runner metrics lists them)");
        if (d["version"] is not JsonValue vv || !vv.TryGetValue<int>(out var version) || version < 1) throw Error(shown, $"{at}.version", "expected an integer >= 1");
        return new MetricVersion(id, version);
    }

    private static BaselineProvenance LoadProvenance(JsonObject o, string shown)
    {
        string Text(string key, bool required)
        {
            if (o[key] is null) return required ? throw Error(shown, key, "required in a seed band file (runner baseline writes it)") : "";
            return o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Error(shown, key, "expected a string");
        }
        if (o["seeds"] is not JsonArray seeds) throw Error(shown, "seeds", "expected an array of the seeds the band was measured at");
        var list = seeds.Select((s, i) => s is JsonValue v && v.TryGetValue<long>(out var x) ? x : throw Error(shown, $"seeds[{i}]", "expected an integer")).ToList();
        if (list.Count < 2) throw Error(shown, "seeds", $"a band needs at least 2 seeds, got {list.Count}");
        var sigmas = o["sigmas"] is null ? SeedBand.DefaultSigmas : NonNegative(o["sigmas"], shown, "sigmas");
        List<string> specs = [];
        if (o["specs"] is { } sp)
            specs = sp is JsonArray a ? a.Select((s, i) => s is JsonValue v && v.TryGetValue<string>(out var t) ? t : throw Error(shown, $"specs[{i}]", "expected a string")).ToList()
                : throw Error(shown, "specs", "expected an array of spec paths");
        var commit = Text("commit", false);
        return new BaselineProvenance
        {
            Runner = Text("runner", true), Commit = commit.Length == 0 ? null : commit, Libtorch = Text("libtorch", true),
            DeviceClass = Text("device_class", true), Seeds = list, Sigmas = sigmas, Created = Text("created", false) is { Length: > 0 } c ? c : null,
            Specs = specs,
        };
    }

    /// <summary>The file's JSON text (indented, metrics in order, a final newline).</summary>
    public string ToJson()
    {
        var metrics = new JsonObject();
        foreach (var (name, m) in Metrics)
        {
            JsonObject entry;
            if (Version == 1)
            {
                entry = new JsonObject
                {
                    ["value"] = m.Value is { } v ? JsonValue.Create(v) : null,
                    ["tolerance"] = m.Tolerance,
                    ["relative"] = m.Relative,
                    ["direction"] = DirectionName(m.Direction),
                };
                if (m.Definition is { } d) entry["definition"] = new JsonObject { ["id"] = d.Id, ["version"] = d.Version };
            }
            else
            {
                var b = m.Band!;
                entry = new JsonObject();
                if (m.Definition is { } d) entry["definition"] = new JsonObject { ["id"] = d.Id, ["version"] = d.Version };
                if (m.Kind is { } k) entry["kind"] = k;
                entry["direction"] = DirectionName(m.Direction);
                entry["n"] = b.N;
                entry["mean"] = b.Mean;
                entry["std"] = b.Std;
                entry["min"] = b.Min;
                entry["max"] = b.Max;
                if (m.Values is { } values) entry["values"] = new JsonArray(values.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
                entry["floor"] = b.Floor;
                entry["tolerance"] = m.Tolerance;
            }
            metrics[name] = entry;
        }
        var root = new JsonObject { ["format"] = Format, ["version"] = Version };
        if (Provenance is { } p)
        {
            root["runner"] = p.Runner;
            if (p.Commit is { } c) root["commit"] = c;
            root["libtorch"] = p.Libtorch;
            root["device_class"] = p.DeviceClass;
            root["seeds"] = new JsonArray(p.Seeds.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
            root["sigmas"] = p.Sigmas;
            if (p.Created is { } created) root["created"] = created;
            root["specs"] = new JsonArray(p.Specs.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        }
        root["metrics"] = metrics;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> through a temporary file and a rename.</summary>
    public void Save(string path) => AtomicFile.Write(path, ToJson());

    /// <summary>
    /// Compares <paramref name="observed"/> (one run, or the mean of <paramref name="seeds"/> runs) with
    /// <paramref name="expected"/>, held to <see cref="BaselineMetric.ToleranceFor"/>.
    /// </summary>
    public static CheckStatus Compare(BaselineMetric expected, double? observed, int seeds = 1)
    {
        if (observed is not { } x) return CheckStatus.Missing;
        if (expected.Value is not { } value) return CheckStatus.NoValue;
        if (double.IsNaN(x)) return CheckStatus.Regression;
        var tolerance = expected.ToleranceFor(seeds);
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

    /// <summary>
    /// Null when the baseline entry for <paramref name="key"/> was measured under the current definition of its metric;
    /// otherwise the row text, "definition changed: v1 → v2 (what changed)". An entry without a version predates
    /// versioning and is taken as v1.
    /// </summary>
    public static string? DefinitionChange(string key, BaselineMetric expected)
    {
        if (MetricCatalog.Find(MetricName(key)) is not { } current) return null;
        var recorded = expected.Definition ?? new MetricVersion(current.Id, 1);
        if (recorded.Id != current.Id) return $"definition changed: {recorded.Id} v{recorded.Version} → {current.Id} v{current.Version} (the metric is now defined by {current.Id})";
        return recorded.Version == current.Version ? null : MetricCatalog.DescribeChange(current, recorded.Version);
    }

    /// <summary>
    /// Loads a seed band file for reports and <c>show</c>: a lookup from a run and a metric name to its band, by the key
    /// <c>EXPERIMENT/RUN/metric</c> (the run name without its <c>seed=S</c> part), then <c>EXPERIMENT/metric</c>.
    /// A version 1 baseline has no bands: exit 2.
    /// </summary>
    public static Func<RunRecord, string, SeedBand?> LoadBands(string path, string shown)
    {
        var baseline = Load(path, shown);
        if (!baseline.IsBand)
            throw new RunnerException($"{shown}: a version 1 baseline (values with hand-set tolerances) has no seed bands; measure them with runner baseline SPEC... --seeds N --out FILE", 2);
        var bands = baseline.Metrics.ToDictionary(m => m.Key, m => m.Value.Band!, StringComparer.Ordinal);
        return (run, metric) =>
        {
            var name = SeedNoise.NameWithoutSeed(run.RunName);
            if (name.Length > 0 && name != run.Experiment && bands.TryGetValue($"{run.Experiment}/{name}/{metric}", out var b)) return b;
            return bands.GetValueOrDefault($"{run.Experiment}/{metric}");
        };
    }

    /// <summary>The file spelling of a direction.</summary>
    public static string DirectionName(BaselineDirection d) => d switch
    {
        BaselineDirection.HigherIsBetter => "higher_is_better",
        BaselineDirection.LowerIsBetter => "lower_is_better",
        _ => "two_sided",
    };

    /// <summary>A catalog direction as a baseline direction.</summary>
    public static BaselineDirection FromCatalog(MetricDirection d) => d switch
    {
        MetricDirection.HigherIsBetter => BaselineDirection.HigherIsBetter,
        MetricDirection.LowerIsBetter => BaselineDirection.LowerIsBetter,
        _ => BaselineDirection.TwoSided,
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

    private static double NonNegative(JsonNode? node, string shown, string at)
    {
        var x = Number(node, shown, at);
        return x >= 0 ? x : throw Error(shown, at, $"must be >= 0, got {Show(x)}");
    }

    private static RunnerException Error(string shown, string at, string message) => new($"{shown}: {at}: {message}", 2);
}

/// <summary><c>--metric</c> patterns of check and baseline: <c>*</c> matches anything; a pattern matches a baseline key or its metric name.</summary>
internal static class MetricPattern
{
    public static System.Text.RegularExpressions.Regex Regex(string pattern) =>
        new("^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*") + "$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static bool Matches(System.Text.RegularExpressions.Regex regex, string key) => regex.IsMatch(key) || regex.IsMatch(Baseline.MetricName(key));
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
