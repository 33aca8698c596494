using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml;
using Runner.Pipeline;

namespace Runner.Cli.Tests;

/// <summary>The tiny synthetic spec run once with the real stages; each test checks it (from the cache) against its own baseline.</summary>
public sealed class CheckFixture : IDisposable
{
    public const string Spec = TinySpecs.Synthetic + "tracking: none\n";

    public CheckFixture()
    {
        Cli.Write("tiny.yaml", Spec);
        Assert.Equal(0, Cli.Run("run", "tiny.yaml"));
        var metrics = MetricsJson.Read(Path.Combine(Cli.Directory, "runs", "tiny-synthetic", "tiny-synthetic", "metrics.json"));
        Fvu = (double)metrics["evaluate.fvu"]!;
        Mmcs = (double)metrics["evaluate.mmcs"]!;
    }

    public CliHarness Cli { get; } = new() { Stages = StageCatalog.Create };
    public double Fvu { get; }
    public double Mmcs { get; }

    public void Dispose() => Cli.Dispose();
}

public sealed class CheckCommandTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    private readonly CliHarness _cli = fixture.Cli;

    private static string N(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static string Entry(string metric, double value, double tolerance, bool relative, string direction) =>
        $"\"tiny-synthetic/{metric}\": {{ \"value\": {N(value)}, \"tolerance\": {N(tolerance)}, \"relative\": {(relative ? "true" : "false")}, \"direction\": \"{direction}\" }}";

    private string Baseline(string file, params string[] entries) =>
        _cli.Write(file, $$"""{ "format": "runner-baseline", "version": 1, "metrics": { {{string.Join(", ", entries)}} } }""");

    private static XmlDocument Junit(string path)
    {
        var doc = new XmlDocument();
        doc.Load(path);
        return doc;
    }

    private string Row(string metric) => _cli.Out.Split('\n').Single(l => l.StartsWith($"tiny-synthetic/{metric} ", StringComparison.Ordinal));

    [Fact]
    public void A_baseline_equal_to_the_runs_metrics_passes_and_the_junit_report_has_a_passing_case_per_metric()
    {
        Baseline("equal.json", Entry("evaluate.fvu", fixture.Fvu, 0, false, "lower_is_better"), Entry("evaluate.mmcs", fixture.Mmcs, 0, false, "higher_is_better"));
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "equal.json", "--junit", "out/equal.xml"));
        Assert.EndsWith("ok", Row("evaluate.fvu").TrimEnd());
        Assert.Contains("check: 2 metrics within the baseline", _cli.Out);
        var doc = Junit(Path.Combine(_cli.Directory, "out", "equal.xml"));
        var cases = doc.SelectNodes("/testsuites/testsuite/testcase")!.Cast<XmlElement>().ToList();
        Assert.Equal(["evaluate.fvu", "evaluate.mmcs"], cases.Select(c => c.GetAttribute("name")));
        Assert.All(cases, c => Assert.Equal("tiny-synthetic", c.GetAttribute("classname")));
        Assert.Empty(doc.SelectNodes("//failure")!.Cast<XmlNode>());
    }

    [Fact]
    public void A_lower_is_better_metric_worse_than_its_tolerance_is_a_regression_with_exit_1_and_a_junit_failure()
    {
        Baseline("worse.json", Entry("evaluate.fvu", fixture.Fvu - 0.05, 0.01, false, "lower_is_better"), Entry("evaluate.mmcs", fixture.Mmcs, 0.01, false, "higher_is_better"));
        Assert.Equal(1, _cli.Run("check", "tiny.yaml", "--baseline", "worse.json", "--junit", "worse.xml"));
        Assert.EndsWith("REGRESSION", Row("evaluate.fvu").TrimEnd());
        Assert.EndsWith("ok", Row("evaluate.mmcs").TrimEnd());
        Assert.Contains("check: 1 of 2 checks failed", _cli.Out);
        var doc = Junit(Path.Combine(_cli.Directory, "worse.xml"));
        var failures = doc.SelectNodes("//testcase[failure]")!.Cast<XmlElement>().ToList();
        Assert.Equal("evaluate.fvu", Assert.Single(failures).GetAttribute("name"));
        Assert.Contains("lower_is_better", failures[0]["failure"]!.GetAttribute("message"));
        Assert.Equal("1", doc.SelectSingleNode("/testsuites/testsuite/@failures")!.Value);
    }

    [Fact]
    public void An_improvement_beyond_the_tolerance_passes_with_a_note()
    {
        Baseline("better.json", Entry("evaluate.fvu", fixture.Fvu + 0.2, 0.01, false, "lower_is_better"), Entry("evaluate.mmcs", fixture.Mmcs - 0.2, 0.01, false, "higher_is_better"));
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "better.json"));
        Assert.EndsWith("ok (improved)", Row("evaluate.fvu").TrimEnd());
        Assert.EndsWith("ok (improved)", Row("evaluate.mmcs").TrimEnd());
        Assert.Contains("2 improved beyond the tolerance", _cli.Out);
    }

    [Fact]
    public void A_two_sided_metric_fails_outside_its_tolerance_in_either_direction_and_passes_inside()
    {
        Baseline("above.json", Entry("evaluate.fvu", fixture.Fvu + 0.05, 0.01, false, "two_sided"));
        Assert.Equal(1, _cli.Run("check", "tiny.yaml", "--baseline", "above.json"));
        Assert.EndsWith("REGRESSION", Row("evaluate.fvu").TrimEnd());
        Baseline("below.json", Entry("evaluate.fvu", fixture.Fvu - 0.05, 0.01, false, "two_sided"));
        Assert.Equal(1, _cli.Run("check", "tiny.yaml", "--baseline", "below.json"));
        Baseline("inside.json", Entry("evaluate.fvu", fixture.Fvu + 0.005, 0.01, false, "two_sided"));
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "inside.json"));
    }

    [Fact]
    public void A_relative_tolerance_is_a_fraction_of_the_value_and_an_absolute_one_is_not()
    {
        // 5% off: within 10% relative, outside 0.001 absolute (fvu is far above 0.02 here).
        Assert.True(fixture.Fvu > 0.02, $"fvu {fixture.Fvu}");
        Baseline("relative.json", Entry("evaluate.fvu", fixture.Fvu * 1.05, 0.1, true, "two_sided"));
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "relative.json"));
        Baseline("absolute.json", Entry("evaluate.fvu", fixture.Fvu * 1.05, 0.001, false, "two_sided"));
        Assert.Equal(1, _cli.Run("check", "tiny.yaml", "--baseline", "absolute.json"));
    }

    [Fact]
    public void Update_rewrites_the_values_keeping_tolerances_and_directions_and_creates_a_missing_baseline_with_every_metric()
    {
        var path = Baseline("update.json", Entry("evaluate.fvu", fixture.Fvu - 0.05, 0.02, false, "lower_is_better"), Entry("evaluate.mmcs", 0.1, 0.05, true, "higher_is_better"));
        Assert.Equal(1, _cli.Run("check", "tiny.yaml", "--baseline", "update.json"));
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "update.json", "--update"));
        var metrics = JsonNode.Parse(File.ReadAllText(path))!["metrics"]!.AsObject();
        Assert.Equal(["tiny-synthetic/evaluate.fvu", "tiny-synthetic/evaluate.mmcs"], metrics.Select(m => m.Key));
        Assert.Equal(fixture.Fvu, (double)metrics["tiny-synthetic/evaluate.fvu"]!["value"]!);
        Assert.Equal(0.02, (double)metrics["tiny-synthetic/evaluate.fvu"]!["tolerance"]!);
        Assert.Equal("lower_is_better", (string?)metrics["tiny-synthetic/evaluate.fvu"]!["direction"]);
        Assert.True((bool)metrics["tiny-synthetic/evaluate.mmcs"]!["relative"]!);
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "update.json"));
        Assert.Empty(Directory.GetFiles(_cli.Directory, "*.tmp"));

        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "new/created.json", "--update"));
        var created = JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.Directory, "new", "created.json")))!["metrics"]!.AsObject();
        Assert.True(created.Count > 10, $"{created.Count} metrics");
        Assert.Equal(0.1, (double)created["tiny-synthetic/evaluate.fvu"]!["tolerance"]!);
        Assert.Equal("two_sided", (string?)created["tiny-synthetic/evaluate.fvu"]!["direction"]);
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "new/created.json"));
    }

    [Fact]
    public void A_metric_the_runs_do_not_produce_is_missing_and_fails()
    {
        Baseline("missing.json", Entry("evaluate.fvuu", 0.1, 0.01, false, "two_sided"));
        Assert.Equal(1, _cli.Run("check", "tiny.yaml", "--baseline", "missing.json"));
        Assert.EndsWith("MISSING", Row("evaluate.fvuu").TrimEnd());
    }

    [Theory]
    [InlineData("""{ "format": "runner-baseline", "version": 1, "metrics": { "tiny-synthetic/evaluate.fvu": { "value": 0.1, "tolerance": "abc" } } }""", "metrics.tiny-synthetic/evaluate.fvu.tolerance")]
    [InlineData("""{ "format": "runner-baseline", "version": 1, "metrics": { "tiny-synthetic/evaluate.fvu": { "value": 0.1, "tolerance": 0.1, "direction": "up" } } }""", "metrics.tiny-synthetic/evaluate.fvu.direction")]
    [InlineData("""{ "format": "runner-baseline", "version": 1, "metrics": { "tiny-synthetic/evaluate.fvu": { "value": 0.1, "tolerance": -1 } } }""", "metrics.tiny-synthetic/evaluate.fvu.tolerance: must be >= 0")]
    [InlineData("""{ "format": "runner-baseline", "version": 1, "metrics": { "tiny-synthetic/evaluate.fvu": { "value": 0.1, "tolerance": 0.1, "tolerence": 1 } } }""", "metrics.tiny-synthetic/evaluate.fvu.tolerence: unknown key")]
    [InlineData("""{ "format": "runner-baseline", "version": 3, "metrics": {} }""", "version: must be 1")]
    [InlineData("""{ "format": "runner-baseline", "version": 1, "metrics": """, "not valid JSON")]
    public void A_malformed_baseline_is_exit_2_naming_the_file_and_the_key(string json, string expected)
    {
        _cli.Write("bad.json", json);
        Assert.Equal(2, _cli.Run("check", "tiny.yaml", "--baseline", "bad.json"));
        Assert.Contains($"bad.json: {expected}", _cli.Error);
    }

    [Fact]
    public void Sweep_points_are_keyed_by_experiment_and_run_name()
    {
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--set", "sweep.sae.k=[3, 4]", "--baseline", "sweep.json", "--update"));
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.Directory, "sweep.json")))!["metrics"]!.AsObject();
        Assert.Contains("tiny-synthetic/k=3/evaluate.fvu", metrics.Select(m => m.Key));
        Assert.Equal(fixture.Fvu, (double)metrics["tiny-synthetic/k=4/evaluate.fvu"]!["value"]!);
    }
}
