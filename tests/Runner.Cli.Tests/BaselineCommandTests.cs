using System.Globalization;
using System.Text.Json.Nodes;
using System.Xml;

namespace Runner.Cli.Tests;

/// <summary><c>runner baseline</c> (seed bands) and <c>runner check</c> against them, on the tiny synthetic spec of <see cref="CheckFixture"/>.</summary>
public sealed class BaselineCommandTests(CheckFixture fixture) : IClassFixture<CheckFixture>
{
    private readonly CliHarness _cli = fixture.Cli;

    private static string N(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private string Row(string metric) => _cli.Out.Split('\n').Single(l => l.StartsWith($"tiny-synthetic/{metric} ", StringComparison.Ordinal));

    /// <summary>A hand-written band file with one fvu entry.</summary>
    private string Band(string file, string entry, string root = "") => _cli.Write(file, $$"""
        { "format": "runner-baseline", "version": 2, "runner": "0.1.0", "libtorch": "libtorch=1.13.0;shim=1", "device_class": "cpu",
          "seeds": [3, 4, 5], {{root}} "metrics": { "tiny-synthetic/evaluate.fvu": {{entry}} } }
        """);

    private string FvuEntry(double mean, double std, double tolerance, string direction = "lower_is_better", string extra = "") =>
        $$"""{ "direction": "{{direction}}", "n": 3, "mean": {{N(mean)}}, "std": {{N(std)}}, "min": {{N(mean - std)}}, "max": {{N(mean + std)}}, "floor": 0, "tolerance": {{N(tolerance)}} {{extra}} }""";

    [Fact]
    public void Baseline_writes_each_metrics_band_over_the_seeds_and_a_run_at_one_of_them_passes_check_against_it()
    {
        Assert.Equal(0, _cli.Run("baseline", "tiny.yaml", "--seeds", "3", "--out", "bands/tiny.json", "--metric", "evaluate.fvu", "--metric", "evaluate.mmcs", "--metric", "evaluate.l0"));
        var root = JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.Directory, "bands", "tiny.json")))!.AsObject();
        Assert.Equal(2, (int)root["version"]!);
        Assert.Equal([3L, 4L, 5L], root["seeds"]!.AsArray().Select(s => (long)s!));
        Assert.Equal("cpu", (string?)root["device_class"]);
        Assert.Equal("test-environment", (string?)root["libtorch"]);   // the libtorch/shim fingerprint the harness gives
        Assert.False(string.IsNullOrEmpty((string?)root["runner"]));
        var fvu = root["metrics"]!["tiny-synthetic/evaluate.fvu"]!.AsObject();
        var values = fvu["values"]!.AsArray().Select(v => (double)v!).ToList();
        Assert.Equal(3, values.Count);
        Assert.Equal(fixture.Fvu, values[0]);   // seed 3: the fixture's run, from the cache
        var mean = values.Average();
        var std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / 2);
        Assert.Equal(mean, (double)fvu["mean"]!, 12);
        Assert.Equal(std, (double)fvu["std"]!, 12);
        Assert.Equal(Math.Max(4 * std, (double)fvu["floor"]!), (double)fvu["tolerance"]!, 12);
        Assert.Equal(values.Min(), (double)fvu["min"]!);
        Assert.Equal(3, (int)fvu["n"]!);
        // The three seeds ran side by side as one sweep; the runs at each seed are there to look at.
        Assert.True(Directory.Exists(Path.Combine(_cli.Directory, "runs", "tiny-synthetic", "seed=5")));

        // The same spec at a seed of the band: inside it, each row with the band, the value and how many σ away.
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "bands/tiny.json", "--set", "seed=4"));
        Assert.Matches(@"[+-]\d+\.\dσ\s+ok$", Row("evaluate.fvu").TrimEnd());
        Assert.Contains("(n=3)", Row("evaluate.fvu"));
        Assert.Contains("check: 3 metrics within the seed bands", _cli.Out);
    }

    [Fact]
    public void A_run_outside_the_band_in_the_worse_direction_is_a_regression_and_one_in_the_better_direction_passes()
    {
        Band("worse.json", FvuEntry(fixture.Fvu - 0.05, 0.002, 0.008));
        Assert.Equal(1, _cli.Run("check", "tiny.yaml", "--baseline", "worse.json"));
        Assert.EndsWith("REGRESSION", Row("evaluate.fvu").TrimEnd());
        Assert.Contains("+25.0σ", Row("evaluate.fvu"));
        Band("better.json", FvuEntry(fixture.Fvu + 0.05, 0.002, 0.008));
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "better.json"));
        Assert.EndsWith("ok (improved)", Row("evaluate.fvu").TrimEnd());
    }

    [Fact]
    public void Check_with_seeds_compares_the_mean_of_the_seeds_with_a_band_narrowed_to_the_noise_of_that_mean()
    {
        // Tolerance 0.02 for one run; for the mean of 4 seeds against a band of 4, 0.02·√((1/4 + 1/4) / (1 + 1/4)) = 0.0126
        // (floor 0). A band whose mean sits 0.015 off the observed mean passes for one run and fails for four.
        Assert.Equal(0, _cli.Run("baseline", "tiny.yaml", "--seeds", "4", "--out", "four.json", "--metric", "evaluate.fvu"));
        var mean = (double)JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.Directory, "four.json")))!["metrics"]!["tiny-synthetic/evaluate.fvu"]!["mean"]!;
        Band("shifted.json", FvuEntry(mean - 0.015, 0.005, 0.02).Replace("\"n\": 3", "\"n\": 4"), "");
        Assert.Equal(1, _cli.Run("check", "tiny.yaml", "--baseline", "shifted.json", "--seeds", "4"));
        Assert.Contains("observed (mean of 4)", _cli.Out);
        Assert.Contains($"<= {N(Math.Round(mean - 0.015 + 0.02 * Math.Sqrt(0.4), 6))}", Row("evaluate.fvu"));
        Assert.EndsWith("REGRESSION", Row("evaluate.fvu").TrimEnd());
    }

    [Theory]
    [InlineData("{ \"direction\": \"two_sided\", \"n\": 1, \"mean\": 0.1, \"std\": 0, \"min\": 0.1, \"max\": 0.1, \"floor\": 0, \"tolerance\": 0.01 }", "metrics.tiny-synthetic/evaluate.fvu.n: must be at least 2")]
    [InlineData("{ \"direction\": \"two_sided\", \"n\": 3, \"mean\": 0.1, \"min\": 0.1, \"max\": 0.1, \"floor\": 0, \"tolerance\": 0.01 }", "metrics.tiny-synthetic/evaluate.fvu.std: required in a seed band")]
    [InlineData("{ \"value\": 0.1, \"tolerance\": 0.01 }", "metrics.tiny-synthetic/evaluate.fvu.value: unknown key (a version 2 entry has")]
    [InlineData("{ \"direction\": \"two_sided\", \"n\": 3, \"mean\": 0.5, \"std\": 0, \"min\": 0.1, \"max\": 0.2, \"floor\": 0, \"tolerance\": 0.01 }", "metrics.tiny-synthetic/evaluate.fvu.mean: must lie between min and max")]
    [InlineData("{ \"direction\": \"two_sided\", \"n\": 3, \"mean\": 0.1, \"std\": 0, \"min\": 0.1, \"max\": 0.1, \"floor\": 0, \"tolerance\": 0.01, \"values\": [0.1, 0.1] }", "metrics.tiny-synthetic/evaluate.fvu.values: has 2 values but n is 3")]
    [InlineData("[1, 2]", "metrics.tiny-synthetic/evaluate.fvu: expected an object")]
    public void A_band_file_of_the_wrong_shape_is_exit_2_naming_the_file_and_the_key(string entry, string expected)
    {
        Band("bad-band.json", entry);
        Assert.Equal(2, _cli.Run("check", "tiny.yaml", "--baseline", "bad-band.json"));
        Assert.Contains($"bad-band.json: {expected}", _cli.Error);
        Assert.DoesNotContain("tiny-synthetic:", _cli.Out);   // refused before any run
    }

    [Fact]
    public void A_band_file_without_its_provenance_or_with_one_seed_or_no_metrics_is_exit_2()
    {
        _cli.Write("no-seeds.json", """{ "format": "runner-baseline", "version": 2, "runner": "0.1.0", "libtorch": "x", "device_class": "cpu", "metrics": { "tiny-synthetic/evaluate.fvu": {} } }""");
        Assert.Equal(2, _cli.Run("check", "tiny.yaml", "--baseline", "no-seeds.json"));
        Assert.Contains("no-seeds.json: seeds: expected an array", _cli.Error);
        Band("one-seed.json", FvuEntry(0.1, 0.01, 0.04), "").ToString();
        File.WriteAllText(Path.Combine(_cli.Directory, "one-seed.json"), File.ReadAllText(Path.Combine(_cli.Directory, "one-seed.json")).Replace("[3, 4, 5]", "[3]"));
        Assert.Equal(2, _cli.Run("check", "tiny.yaml", "--baseline", "one-seed.json"));
        Assert.Contains("one-seed.json: seeds: a band needs at least 2 seeds, got 1", _cli.Error);
        _cli.Write("empty.json", """{ "format": "runner-baseline", "version": 2, "runner": "0.1.0", "libtorch": "x", "device_class": "cpu", "seeds": [0, 1], "metrics": {} }""");
        Assert.Equal(2, _cli.Run("check", "tiny.yaml", "--baseline", "empty.json"));
        Assert.Contains("empty.json: metrics: empty", _cli.Error);
    }

    [Fact]
    public void Fewer_than_two_seeds_and_a_metric_pattern_that_matches_nothing_are_usage_errors()
    {
        Assert.Equal(2, _cli.Run("baseline", "tiny.yaml", "--seeds", "1", "--out", "one.json"));
        Assert.Contains("--seeds must be at least 2", _cli.Error);
        Assert.Equal(2, _cli.Run("check", "tiny.yaml", "--baseline", "one.json", "--seeds", "1"));
        Assert.Contains("--seeds must be at least 2", _cli.Error);
        Assert.Equal(2, _cli.Run("baseline", "tiny.yaml", "--seeds", "2", "--out", "none.json", "--metric", "evaluate.fvuu"));
        Assert.Contains("--metric evaluate.fvuu: no metric of the runs matches", _cli.Error);
        Assert.False(File.Exists(Path.Combine(_cli.Directory, "none.json")));
    }

    [Fact]
    public void A_band_file_naming_a_metric_the_runs_do_not_produce_fails_the_check_as_missing_and_is_not_remeasured()
    {
        _cli.Write("typo.json", $$"""
            { "format": "runner-baseline", "version": 2, "runner": "0.1.0", "libtorch": "x", "device_class": "cpu", "seeds": [3, 4],
              "metrics": { "tiny-synthetic/evaluate.fvuu": {{FvuEntry(0.1, 0.01, 0.04).Replace("\"n\": 3", "\"n\": 2")}} } }
            """);
        Assert.Equal(1, _cli.Run("check", "tiny.yaml", "--baseline", "typo.json"));
        Assert.EndsWith("MISSING", _cli.Out.Split('\n').Single(l => l.StartsWith("tiny-synthetic/evaluate.fvuu", StringComparison.Ordinal)).TrimEnd());
        Assert.Equal(1, _cli.Run("baseline", "tiny.yaml", "--seeds", "2", "--out", "typo.json"));
        Assert.Contains("the runs produced no tiny-synthetic/evaluate.fvuu", _cli.Error);
    }

    [Fact]
    public void A_metric_measured_under_another_definition_version_is_not_compared_and_neither_passes_nor_fails()
    {
        Band("old-definition.json", FvuEntry(fixture.Fvu + 1, 0.001, 0.004, extra: ", \"definition\": { \"id\": \"evaluate.fvu\", \"version\": 99 }"));
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "old-definition.json", "--junit", "old-definition.xml"));
        Assert.Contains("not compared: definition changed: v99 → v1", Row("evaluate.fvu"));
        Assert.Contains("recorded by a newer Runner", _cli.Out);
        Assert.Contains("0 metrics within the seed bands; 1 not compared: definition changed", _cli.Out);
        var doc = new XmlDocument();
        doc.Load(Path.Combine(_cli.Directory, "old-definition.xml"));
        Assert.Single(doc.SelectNodes("//testcase/skipped")!.Cast<XmlNode>());
        Assert.Empty(doc.SelectNodes("//failure")!.Cast<XmlNode>());
    }

    [Fact]
    public void Update_refuses_a_band_file_and_names_the_command_that_remeasures_it()
    {
        Band("refuse.json", FvuEntry(fixture.Fvu, 0.001, 0.004));
        Assert.Equal(2, _cli.Run("check", "tiny.yaml", "--baseline", "refuse.json", "--update"));
        Assert.Contains("runner baseline SPEC... --seeds N --out refuse.json", _cli.Error);
    }

    [Fact]
    public void Show_compares_two_runs_and_marks_a_seed_change_within_seed_noise_and_a_sparsity_change_beyond_it()
    {
        Assert.Equal(0, _cli.Run("baseline", "tiny.yaml", "--seeds", "3", "--out", "show-bands.json", "--runs-dir", "seed-runs", "--metric", "evaluate.*"));
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--set", "sae.k=12", "--runs-dir", "k12-runs"));

        // Bands from the runs beside seed=3 that differ only in seed.
        Assert.Equal(0, _cli.Run("show", "seed-runs/tiny-synthetic/seed=3", "--compare", "seed-runs/tiny-synthetic/seed=4"));
        string Line(string metric) => _cli.Out.Split('\n').Single(l => l.StartsWith(metric + " ", StringComparison.Ordinal)).TrimEnd();
        Assert.EndsWith("within seed noise", Line("evaluate.fvu"));
        Assert.EndsWith("within seed noise", Line("evaluate.l0"));
        Assert.Equal(0, _cli.Run("show", "seed-runs/tiny-synthetic/seed=3", "--compare", "k12-runs/tiny-synthetic/tiny-synthetic"));
        Assert.Matches(@"beyond seed noise \(Δ = -\d+\.\dσ\)$", Line("evaluate.fvu"));
        Assert.EndsWith("beyond seed noise (σ = 0, floor exceeded)", Line("evaluate.l0"));   // TopK: L0 is k at every seed

        // Bands from the file, for runs with no seed siblings.
        Assert.Equal(0, _cli.Run("show", "k12-runs/tiny-synthetic/tiny-synthetic", "--bands", "show-bands.json"));
        Assert.Matches(@"beyond seed noise \(Δ = -\d+\.\dσ\)$", Line("evaluate.fvu"));
        Assert.Contains("show-bands.json (3 seeds)", Line("evaluate.fvu"));
        Assert.Equal("", Line("train.l0").Split("  ", StringSplitOptions.RemoveEmptyEntries).Skip(2).FirstOrDefault() ?? "");   // not in the file: no band

        // The sweep report of the seed runs: means across seeds.
        Assert.Equal(0, _cli.Run("report", "seed-runs/tiny-synthetic"));
        Assert.Contains("Across seeds", File.ReadAllText(Path.Combine(_cli.Directory, "seed-runs", "tiny-synthetic", "sweep.html")));

        // A version 1 baseline has no bands.
        _cli.Write("v1.json", """{ "format": "runner-baseline", "version": 1, "metrics": { "tiny-synthetic/evaluate.fvu": { "value": 0.1, "tolerance": 0.1 } } }""");
        Assert.Equal(2, _cli.Run("show", "k12-runs/tiny-synthetic/tiny-synthetic", "--bands", "v1.json"));
        Assert.Contains("v1.json: a version 1 baseline", _cli.Error);
    }

    [Fact]
    public void Check_metric_selects_band_entries_and_a_metric_missing_from_the_band_file_is_exit_2_before_any_run()
    {
        _cli.Write("two.json", $$"""
            { "format": "runner-baseline", "version": 2, "runner": "0.1.0", "libtorch": "x", "device_class": "cpu", "seeds": [3, 4, 5],
              "metrics": { "tiny-synthetic/evaluate.fvu": {{FvuEntry(fixture.Fvu, 0.001, 0.004)}},
                           "tiny-synthetic/evaluate.mmcs": {{FvuEntry(fixture.Mmcs - 1, 0.001, 0.004, "two_sided")}} } }
            """);
        Assert.Equal(0, _cli.Run("check", "tiny.yaml", "--baseline", "two.json", "--metric", "evaluate.fvu"));
        Assert.Contains("check: 1 metric within the seed bands", _cli.Out);
        Assert.Equal(2, _cli.Run("check", "tiny.yaml", "--baseline", "two.json", "--metric", "evaluate.ce_loss_recovered"));
        Assert.Contains("two.json: no metric matches --metric evaluate.ce_loss_recovered (it has tiny-synthetic/evaluate.fvu, tiny-synthetic/evaluate.mmcs)", _cli.Error);
        Assert.Equal("", _cli.Out);
    }
}
