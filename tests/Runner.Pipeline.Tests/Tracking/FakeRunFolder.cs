using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Tests.Tracking;

/// <summary>
/// Writes a run folder by hand as `runner run` lays it out (resolved.yaml, metrics.json, stages.json,
/// stages/train/{curves.json,manifest.json}, sae/, tables/, report.html), with known values.
/// </summary>
public static class FakeRunFolder
{
    /// <summary>The run's start (2026-01-02T03:04:05Z).</summary>
    public static readonly DateTimeOffset Started = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>The run's end, 90 s later.</summary>
    public static readonly DateTimeOffset Finished = Started.AddSeconds(90);

    /// <summary>The train entry's manifest time (the end of training), 60 s after the start.</summary>
    public static readonly DateTimeOffset TrainCreated = Started.AddSeconds(60);

    /// <summary>
    /// Writes <c>root/experiment/name</c> and returns it. <paramref name="curvePoints"/> and <paramref name="extraParams"/> size the records;
    /// metrics.json is the flat form of folders written before metric definitions were versioned, or with <paramref name="versioned"/> today's.
    /// </summary>
    public static string Write(string root, string experiment, string name, int k = 8, int curvePoints = 3, int extraParams = 0, string? longValue = null,
        bool versioned = false)
    {
        var dir = Path.Combine(root, experiment, name);
        Directory.CreateDirectory(dir);
        var yaml = new StringBuilder();
        yaml.Append(CultureInfo.InvariantCulture, $"# Resolved spec of {experiment}, run {name}\n\nname: {experiment}\nseed: 0\ndevice: auto\n\n");
        yaml.Append(CultureInfo.InvariantCulture, $"sae:\n  architecture: topk\n  k: {k}\n  lr: 0.001\n  aux_k: null\n\n");
        yaml.Append("steer:\n  prompts: [\"the\", \"we went to\"]\n  clamps: []\n  generate:\n    temperature: 1.0\n\nhooks: []\ntracking: { mlflow: { experiment: null } }\n");
        if (longValue is not null) yaml.Append(CultureInfo.InvariantCulture, $"notes: \"{longValue}\"\n");
        if (extraParams > 0)
        {
            yaml.Append("extra:\n");
            for (var i = 0; i < extraParams; i++) yaml.Append(CultureInfo.InvariantCulture, $"  p{i:000}: {i}\n");
        }
        File.WriteAllText(Path.Combine(dir, "resolved.yaml"), yaml.ToString());
        File.WriteAllText(Path.Combine(dir, "metrics.json"), (versioned
            ? Runner.Pipeline.Runs.MetricsDocument.ToJson(new Dictionary<string, double>
            {
                ["evaluate.fvu"] = 0.125,
                ["evaluate.mean_log10_density"] = double.NegativeInfinity,
                ["evaluate.odd"] = double.NaN,
                ["train.l0"] = k,
                ["train.loss"] = 8.936086654663086,
            })
            : new JsonObject
            {
                ["evaluate.fvu"] = 0.125,
                ["evaluate.mean_log10_density"] = "-Infinity",
                ["evaluate.odd"] = "NaN",
                ["train.l0"] = (double)k,
                ["train.loss"] = 8.936086654663086,
            }).ToJsonString());
        File.WriteAllText(Path.Combine(dir, "stages.json"), new JsonObject
        {
            ["experiment"] = experiment,
            ["run_name"] = name,
            ["point"] = 0,
            ["spec_hash"] = "e9c81996",
            ["environment"] = "libtorch=1.13.0;shim=1",
            ["varied"] = new JsonObject { ["sae.k"] = k },
            ["started"] = Started.ToString("O", CultureInfo.InvariantCulture),
            ["finished"] = Finished.ToString("O", CultureInfo.InvariantCulture),
            ["stages"] = new JsonArray(
                new JsonObject { ["name"] = "capture", ["key"] = "be6d", ["status"] = "cached", ["seconds"] = 0, ["entry"] = "/cache/capture/be6d" },
                new JsonObject { ["name"] = "train", ["key"] = "8eaf", ["status"] = "computed", ["seconds"] = 40.0, ["entry"] = "/cache/train/8eaf" }),
        }.ToJsonString());
        var train = Directory.CreateDirectory(Path.Combine(dir, "stages", "train")).FullName;
        var curve = new JsonArray();
        for (var i = 1; i <= curvePoints; i++)
            curve.Add(new JsonObject
            {
                ["step"] = i * 100,
                ["tokens"] = i * 102400,
                ["total_steps"] = curvePoints * 100,
                ["loss"] = 30.0 / i,
                ["l0"] = (double)k,
                ["terms"] = new JsonObject { ["aux"] = 0.5 / i },
                ["lr"] = 0.001,
            });
        File.WriteAllText(Path.Combine(train, "curves.json"), curve.ToJsonString());
        File.WriteAllText(Path.Combine(train, "manifest.json"), new JsonObject { ["stage"] = "train", ["created"] = TrainCreated.ToString("O", CultureInfo.InvariantCulture) }.ToJsonString());
        var sae = Directory.CreateDirectory(Path.Combine(dir, "sae")).FullName;
        File.WriteAllText(Path.Combine(sae, "cfg.json"), $"{{\"d_sae\": 512, \"k\": {k}}}");
        File.WriteAllBytes(Path.Combine(sae, "sae_weights.safetensors"), [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7 + k))]);
        var tables = Directory.CreateDirectory(Path.Combine(dir, "tables")).FullName;
        File.WriteAllBytes(Path.Combine(tables, "feature_stats.parquet"), [0x50, 0x41, 0x52, 0x31, 0, 255, 0x50, 0x41, 0x52, 0x31]);
        File.WriteAllText(Path.Combine(dir, "report.html"), "<html><body>report</body></html>");
        return dir;
    }

    /// <summary>The metrics the folder yields: the curve (train/…) then the final metrics.</summary>
    public static List<(string Key, double Value, long Timestamp, long Step)> ExpectedMetrics(int k = 8, int curvePoints = 3)
    {
        var list = new List<(string, double, long, long)>();
        var end = TrainCreated.ToUnixTimeMilliseconds();
        var start = end - 40_000;
        for (var i = 1; i <= curvePoints; i++)
        {
            var ts = start + (long)Math.Round(40_000.0 * i / curvePoints);
            list.Add(("train/tokens", i * 102400, ts, i * 100));
            list.Add(("train/loss", 30.0 / i, ts, i * 100));
            list.Add(("train/l0", k, ts, i * 100));
            list.Add(("train/terms.aux", 0.5 / i, ts, i * 100));
            list.Add(("train/lr", 0.001, ts, i * 100));
        }
        var fin = Finished.ToUnixTimeMilliseconds();
        list.Add(("evaluate.fvu", 0.125, fin, 0));
        list.Add(("evaluate.mean_log10_density", double.NegativeInfinity, fin, 0));
        list.Add(("evaluate.odd", double.NaN, fin, 0));
        list.Add(("train.l0", k, fin, 0));
        list.Add(("train.loss", 8.936086654663086, fin, 0));
        return list;
    }

    /// <summary>The params of the folder without extras.</summary>
    public static Dictionary<string, string> ExpectedParams(string experiment, int k = 8) => new()
    {
        ["name"] = experiment,
        ["seed"] = "0",
        ["device"] = "auto",
        ["sae.architecture"] = "topk",
        ["sae.k"] = k.ToString(CultureInfo.InvariantCulture),
        ["sae.lr"] = "0.001",
        ["sae.aux_k"] = "null",
        ["steer.prompts"] = "[\"the\",\"we went to\"]",
        ["steer.clamps"] = "[]",
        ["steer.generate.temperature"] = "1.0",
        ["hooks"] = "[]",
        ["tracking.mlflow.experiment"] = "null",
    };

    /// <summary>The artifact paths of the folder.</summary>
    public static readonly string[] ExpectedArtifacts =
        ["resolved.yaml", "report.html", "sae/cfg.json", "sae/sae_weights.safetensors", "tables/feature_stats.parquet"];
}
