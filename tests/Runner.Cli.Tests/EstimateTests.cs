using System.Text.Json.Nodes;
using Runner.Pipeline;

namespace Runner.Cli.Tests;

/// <summary>run --dry-run's estimates, the disk-space refusal, and float16 shards, with the real stages.</summary>
public sealed class EstimateTests : IDisposable
{
    private readonly CliHarness _cli = new() { Stages = StageCatalog.Create };

    public EstimateTests() => _cli.Write("tiny.yaml", TinySpecs.Synthetic);

    public void Dispose() => _cli.Dispose();

    private string Cache => Path.Combine(_cli.Directory, ".runner", "cache");

    private JsonObject DryRunJson(params string[] extra)
    {
        Assert.Equal(0, _cli.Run(["run", "tiny.yaml", "--dry-run", "--json", .. extra]));
        return JsonNode.Parse(_cli.Out)!.AsObject();
    }

    private static long EntryBytes(string entry) =>
        Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    [Fact]
    public void Dry_run_json_gives_every_stage_its_action_key_and_estimate()
    {
        var plan = DryRunJson();
        var stages = plan["points"]![0]!["stages"]!.AsArray();
        Assert.Equal(["capture", "train", "evaluate"], stages.Select(s => (string)s!["stage"]!));
        foreach (var stage in stages)
        {
            Assert.Equal("compute", (string)stage!["action"]!);
            Assert.Equal(64, ((string)stage["key"]!).Length);
            var estimate = stage["estimate"]!.AsObject();
            Assert.True((long)estimate["disk_bytes"]! > 0);
            Assert.True((long)estimate["memory_bytes"]! >= 200_000_000);   // the fixture's runtime baseline
            Assert.True((double)estimate["seconds"]! > 0);
        }
        // 20k + 4k rows of 16 float32 values and an int64 token id: 24k × 72 bytes, plus headers and the truth matrix.
        var capture = (long)stages[0]!["estimate"]!["disk_bytes"]!;
        Assert.InRange(capture, 24_000 * 72, 24_000 * 72 + 20_000);
        Assert.True((bool)plan["disk"]!["fits"]!);
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, "runs")));
        Assert.False(Directory.Exists(Cache));

        // Once run, every stage is cached and the run would write nothing.
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
        plan = DryRunJson();
        Assert.All(plan["points"]![0]!["stages"]!.AsArray(), s => Assert.Equal("cached", (string)s!["action"]!));
        Assert.Equal(0, (long)plan["estimate"]!["disk_bytes"]!);
    }

    [Fact]
    public void A_streamed_point_s_capture_is_estimated_without_training_rows_and_its_train_holds_the_buffer()
    {
        var disk = DryRunJson()["points"]![0]!["stages"]!.AsArray();
        var stream = DryRunJson("--set", "data.store=stream")["points"]![0]!["stages"]!.AsArray();
        long Estimate(JsonArray stages, string stage, string field) => (long)stages.First(s => (string)s!["stage"]! == stage)!["estimate"]![field]!;
        // The 4k eval rows only (4k × 72 bytes and the truth matrix), not the 20k training rows.
        Assert.InRange(Estimate(stream, "capture", "disk_bytes"), 4_000 * 72, 4_000 * 72 + 20_000);
        Assert.True(Estimate(disk, "capture", "disk_bytes") > 5 * Estimate(stream, "capture", "disk_bytes"));
        Assert.True(Estimate(stream, "train", "memory_bytes") > Estimate(disk, "train", "memory_bytes"), "the shuffle buffer and the producer count toward train");
        Assert.Equal(0, Estimate(stream, "train", "mapped_bytes"));
    }

    [Fact]
    public void Dry_run_text_shows_each_computed_stage_with_disk_memory_and_time()
    {
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--dry-run"));
        Assert.Matches(@"capture\s+\w{12}\s+compute\s+disk\s+1\.7\d MB\s+memory\s+\d+ MB\s+time\s+\d", _cli.Out);
        Assert.Matches(@"estimate: writes 1\.\d+ MB to .* free\), peak memory \d+ MB, time \d", _cli.Out);
        Assert.Contains("times at this machine's speed measured 2026-12-01", _cli.Out);
        Assert.Equal(2, _cli.Run("run", "tiny.yaml", "--json"));
        Assert.Contains("--json goes with --dry-run", _cli.Error);
    }

    [Theory]
    [InlineData("float32")]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void The_capture_disk_estimate_is_within_10_percent_of_what_the_capture_writes(string dtype)
    {
        string[] set = ["--set", "data.tokens=60_000", "--set", "data.synthetic.d_in=48", "--set", $"data.activation_dtype={dtype}"];
        var estimate = (long)DryRunJson(set)["points"]![0]!["stages"]![0]!["estimate"]!["disk_bytes"]!;
        Assert.Equal(0, _cli.Run(["run", "tiny.yaml", .. set]));
        var actual = EntryBytes(Directory.GetDirectories(Path.Combine(Cache, "capture")).Single());
        Assert.InRange((double)estimate / actual, 0.9, 1.1);
        Assert.InRange((double)estimate / actual, 0.99, 1.01);   // in fact within 1%
    }

    [Fact]
    public void A_model_capture_in_float16_is_estimated_within_10_percent_and_evaluates_with_the_SAE_spliced_in()
    {
        TinyHfCheckpoint.Write(Path.Combine(_cli.Directory, "model"));
        TinyHfCheckpoint.WriteDocuments(Path.Combine(_cli.Directory, "docs"), 40);
        _cli.Write("hf.yaml", """
            name: tiny-hf
            device: cpu
            model: { source: hf, path: model }
            data: { files: [docs/*.txt], tokens: 3000, context: 16, activation_dtype: float16 }
            hook: { layer: 1, site: mlp_hidden }
            sae: { architecture: topk, dict_size: 64, k: 4, batch_size: 500, tokens: 3000 }
            evaluate: { tokens: 512, top_features: 4, top_examples: 2 }
            """);
        Assert.Equal(0, _cli.Run("run", "hf.yaml", "--dry-run", "--json"));
        var estimate = (long)JsonNode.Parse(_cli.Out)!["points"]![0]!["stages"]![0]!["estimate"]!["disk_bytes"]!;
        Assert.Equal(0, _cli.Run("run", "hf.yaml"));
        var actual = EntryBytes(Directory.GetDirectories(Path.Combine(Cache, "capture")).Single());
        Assert.InRange((double)estimate / actual, 0.9, 1.1);
        var metrics = MetricsJson.Read(Path.Combine(_cli.Directory, "runs", "tiny-hf", "tiny-hf", "metrics.json"));
        Assert.True(double.IsFinite((double)metrics["evaluate.ce_loss_recovered"]!));
        Assert.True((double)metrics["evaluate.fvu"]! < 1);
    }

    [Fact]
    public void A_run_whose_capture_does_not_fit_the_disk_stops_before_starting_with_exit_2()
    {
        _cli.Environment["RUNNER_DISK_FREE"] = "100M";
        Assert.Equal(2, _cli.Run("run", "tiny.yaml", "--set", "data.tokens=2_000_000", "--set", "data.synthetic.d_in=64"));
        var error = _cli.Error.Trim();
        Assert.StartsWith("error: not enough disk space for this run: its capture writes 529 MB of activation shards", error);
        Assert.Contains("but " + Cache + " has 105 MB free. Nothing was started.", error);
        Assert.Contains("`data.store: stream`", error);
        Assert.Contains("`data.activation_dtype: bfloat16` (half the shard bytes: 273 MB in all)", error);
        Assert.DoesNotContain("\n", error);
        Assert.False(Directory.Exists(Cache));                                   // no entry, no lock, no temp folder
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, "runs")));     // no run folder

        // The dry run says the same as a warning and exits 0; with enough space the run goes ahead.
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--set", "data.tokens=2_000_000", "--set", "data.synthetic.d_in=64", "--dry-run", "--json"));
        Assert.False((bool)JsonNode.Parse(_cli.Out)!["disk"]!["fits"]!);
        Assert.Contains("warning: a run would stop before starting: not enough disk space", _cli.Error);
        _cli.Environment["RUNNER_DISK_FREE"] = "300M";   // 1.8 MB + the 256 MiB margin fits
        Assert.Equal(0, _cli.Run("run", "tiny.yaml"));
    }

    [Fact]
    public void Float16_shards_go_through_capture_train_and_evaluate()
    {
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--set", "data.activation_dtype=float16"));
        var index = JsonNode.Parse(File.ReadAllText(Directory.GetFiles(Path.Combine(Cache, "capture"), "index.json", SearchOption.AllDirectories)[0]))!;
        Assert.Equal("float16", (string)index["dtype"]!);
        var run = Path.Combine(_cli.Directory, "runs", "tiny-synthetic", "tiny-synthetic");
        var half = MetricsJson.Read(Path.Combine(run, "metrics.json"));
        Assert.True((double)half["evaluate.mmcs"]! > 0.8, $"mmcs {half["evaluate.mmcs"]}");

        // The same run on float32 shards reaches the same quality (float16 keeps 11 bits of mantissa).
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--runs-dir", "runs32"));
        var single = MetricsJson.Read(Path.Combine(_cli.Directory, "runs32", "tiny-synthetic", "tiny-synthetic", "metrics.json"));
        Assert.Equal((double)single["evaluate.fvu"]!, (double)half["evaluate.fvu"]!, 0.02);
        Assert.Equal((double)single["evaluate.l0"]!, (double)half["evaluate.l0"]!, 0.2);
    }
}
