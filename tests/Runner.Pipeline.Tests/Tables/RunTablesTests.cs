using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Tables;
using Runner.Pipeline.Tests.TestKit;
using Runner.Tests.Shared;

namespace Runner.Pipeline.Tests.Tables;

/// <summary>
/// <see cref="RunTables"/> and <see cref="SweepTables"/> on hand-built run folders; the tables are read
/// back with the independent readers of tests/parquet-compare and every value is compared with the inputs.
/// </summary>
public sealed class RunTablesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly double[] Density = [0.5, 0, 1e-9, 0.25, 0.125, 1];

    private static Dictionary<string, object> Evaluate(bool withExamples = true)
    {
        var files = new Dictionary<string, object>
        {
            // Out of the canonical order, plus a statistic the writer does not know: known ones first, then by name.
            ["feature_stats.safetensors"] = FakeRun.Safetensors(
            [
                ("mean_activation", [0.1, 0, 0, 0.3, 0.4, 0.5]),
                ("zeta_custom", [6, 5, 4, 3, 2, 1]),
                ("density", Density),
                ("max_activation", [2.5, 0, 1e-300, 3, 4, double.MaxValue]),
                ("mean_activation_when_active", [0.2, double.NaN, 0, 1.2, 3.2, 0.5]),
            ]),
        };
        if (withExamples) files["top_examples.json"] = TopExamplesJson;
        return files;
    }

    private const string TopExamplesJson = """
        { "format": "runner-top-examples", "version": 1, "window": 2,
          "features": [
            { "feature": 4, "max_activation": 4, "density": 0.125, "examples": [
              { "activation": 4.0, "sequence": 7, "position": 3, "token_id": 11, "token": "Brücke", "context_ids": [1, 11, 2],
                "context_tokens": ["the", "Brücke", " \"gate\""], "token_index_in_context": 1 },
              { "activation": 3.5, "sequence": 12345678901, "position": 0, "token_id": 12, "token": "🌉", "context_ids": [12],
                "context_tokens": ["🌉"], "token_index_in_context": 0 } ] },
            { "feature": 1, "max_activation": 0.5, "density": 0, "examples": [
              { "activation": 0.5, "sequence": 0, "position": 63, "token_id": 0, "token": "", "context_ids": [],
                "context_tokens": [], "token_index_in_context": 0 } ] } ] }
        """;

    private static Dictionary<string, object> Steer() => new()
    {
        ["settings.json"] = """
            [ { "label": "baseline", "on": "prompts", "positions": "all", "clamps": [] },
              { "label": "f1x4", "on": "prompts", "positions": "all", "clamps": [ { "feature": 1, "mode": "value", "amount": 4.5 } ] },
              { "label": "two", "on": "topic_prompts", "positions": "all",
                "clamps": [ { "feature": 1, "mode": "scale", "amount": 2 }, { "feature": 3, "mode": "add", "amount": -1 } ] } ]
            """,
        ["summary.json"] = """
            [ { "setting": "baseline", "on": "prompts", "clamps": [], "completions": 2, "tokens": 10, "mean_logprob": -2.5,
                "topic": "bridge", "topic_fraction": 0.25, "fluency": "NaN" },
              { "setting": "f1x4", "on": "prompts", "clamps": [ { "feature": 1, "mode": "value", "amount": 4.5 } ], "completions": 2,
                "tokens": 12, "mean_logprob": -3, "topic": "bridge", "topic_fraction": 0.5, "fluency": 0.75 } ]
            """,
        ["completions.jsonl"] = string.Join("\n",
            """{"setting":"baseline","prompt":"the","sample":0,"text":"the gate","ids":[1,2],"logprobs":[-1,-2],"mean_logprob":-1.5}""",
            """{"setting":"baseline","prompt":"the","sample":1,"text":"","ids":[],"logprobs":[]}""",
            "",
            """{"setting":"f1x4","prompt":"we went to","sample":0,"text":"die Brücke 🌉 \"golden\"","ids":[3,4,5],"logprobs":[-1,-1,-1],"mean_logprob":-1}""",
            """{"setting":"f1x4","prompt":"we went to","sample":1,"text":"bridge\nbridge","ids":[6],"logprobs":[-0.5],"mean_logprob":-0.5}""",
            """{"setting":"two","prompt":"<doc>","sample":0,"text":"x","ids":[7],"logprobs":[-4],"mean_logprob":"-Infinity"}""") + "\n",
    };

    private static Dictionary<string, object> Pretrain() => new()
    {
        ["curves.json"] = """
            [ {"step":50,"total_steps":100,"loss":5.5,"lr":0.003,"tokens":1000},
              {"step":100,"total_steps":100,"loss":"NaN","lr":0.0015,"tokens":2000} ]
            """,
    };

    private static Dictionary<string, object> Train() => new()
    {
        ["curves.json"] = """
            [ {"step":10,"tokens":640,"total_steps":20,"loss":1.5,"mse":1.0,"l0":3,"terms":{"l1":0.5},"dead_fraction":0,"lr":0.001},
              {"step":20,"tokens":1280,"total_steps":20,"loss":1.25,"mse":0.75,"l0":2.5,"terms":{"l1":0.25},"dead_fraction":0.25,"lr":0.001} ]
            """,
    };

    [Fact]
    public void Every_table_of_a_full_run_holds_every_input_value_in_every_reader()
    {
        ParquetReaders.SkipOrFail();
        var run = new FakeRun(_temp.Path, "exp", "full")
            .Stage("pretrain", Pretrain()).Stage("capture", new Dictionary<string, object>()).Stage("train", Train())
            .Stage("evaluate", Evaluate()).Stage("steer", Steer()).Write();

        var written = RunTables.Write(run);

        var tables = Path.Combine(run, "tables");
        string[] names = ["features.parquet", "top_examples.parquet", "steering.parquet", "training.parquet"];
        Assert.Equal(names.Select(n => Path.Combine(tables, n)), written);
        var files = ParquetReaders.Read([.. written]);

        ParquetReaders.AssertColumns(files[written[0]],
        [
            ("feature", Ints(0, 1, 2, 3, 4, 5)),
            ("density", Doubles(Density)),
            ("max_activation", Doubles(2.5, 0, 1e-300, 3, 4, double.MaxValue)),
            ("mean_activation", Doubles(0.1, 0, 0, 0.3, 0.4, 0.5)),
            ("mean_activation_when_active", Doubles(0.2, double.NaN, 0, 1.2, 3.2, 0.5)),
            ("zeta_custom", Doubles(6, 5, 4, 3, 2, 1)),
            ("top_tokens", [null, new JsonArray(""), null, null, new JsonArray("Brücke", "🌉"), null]),
        ]);
        ParquetReaders.AssertColumns(files[written[1]],
        [
            ("feature", Ints(4, 4, 1)),
            ("rank", Ints(1, 2, 1)),
            ("activation", Doubles(4, 3.5, 0.5)),
            ("token", ["Brücke", "🌉", ""]),
            ("token_id", Ints(11, 12, 0)),
            ("context", [new JsonArray("the", "Brücke", " \"gate\""), new JsonArray("🌉"), new JsonArray()]),
            ("token_index_in_context", Ints(1, 0, 0)),
            ("sequence", [7L, 12345678901L, 0L]),
            ("position", Ints(3, 0, 63)),
        ]);
        var single = JsonNode.Parse("""[{"feature":1,"mode":"value","amount":4.5}]""");
        var two = JsonNode.Parse("""[{"feature":1,"mode":"scale","amount":2},{"feature":3,"mode":"add","amount":-1}]""");
        ParquetReaders.AssertColumns(files[written[2]],
        [
            ("setting", ["baseline", "baseline", "f1x4", "f1x4", "two"]),
            ("clamps", [new JsonArray(), new JsonArray(), single, single, two]),
            ("clamp_feature", [null, null, 1, 1, null]),
            ("clamp_mode", [null, null, "value", "value", null]),
            ("clamp_amount", [null, null, 4.5, 4.5, null]),
            ("prompt", ["the", "the", "we went to", "we went to", "<doc>"]),
            ("sample", Ints(0, 1, 0, 1, 0)),
            ("text", ["the gate", "", "die Brücke 🌉 \"golden\"", "bridge\nbridge", "x"]),
            ("tokens", Ints(2, 0, 3, 1, 1)),
            ("mean_logprob", [-1.5, null, -1.0, -0.5, double.NegativeInfinity]),
            ("setting_on", ["prompts", "prompts", "prompts", "prompts", null]),
            ("setting_completions", [2L, 2L, 2L, 2L, null]),
            ("setting_tokens", [10L, 10L, 12L, 12L, null]),
            ("setting_mean_logprob", [-2.5, -2.5, -3.0, -3.0, null]),
            ("setting_topic", ["bridge", "bridge", "bridge", "bridge", null]),
            ("setting_topic_fraction", [0.25, 0.25, 0.5, 0.5, null]),
            ("setting_fluency", [double.NaN, double.NaN, 0.75, 0.75, null]),
        ]);
        ParquetReaders.AssertColumns(files[written[3]],
        [
            ("stage", ["pretrain", "pretrain", "train", "train"]),
            ("step", [50L, 100L, 10L, 20L]),
            ("tokens", [1000L, 2000L, 640L, 1280L]),
            ("total_steps", [100L, 100L, 20L, 20L]),
            ("loss", Doubles(5.5, double.NaN, 1.5, 1.25)),
            ("lr", Doubles(0.003, 0.0015, 0.001, 0.001)),
            ("mse", [null, null, 1.0, 0.75]),
            ("l0", [null, null, 3.0, 2.5]),
            ("terms.l1", [null, null, 0.5, 0.25]),
            ("dead_fraction", [null, null, 0.0, 0.25]),
        ]);
        Assert.Empty(Directory.GetFiles(tables, ".*")); // no temporary file left behind
    }

    [Fact]
    public void A_synthetic_run_gets_features_without_top_tokens_and_training_only_and_stale_tables_go()
    {
        ParquetReaders.SkipOrFail();
        var run = new FakeRun(_temp.Path, "exp", "synthetic")
            .Stage("capture", new Dictionary<string, object>()).Stage("train", Train()).Stage("evaluate", Evaluate(withExamples: false)).Write();
        Directory.CreateDirectory(Path.Combine(run, "tables"));
        File.WriteAllText(Path.Combine(run, "tables", "steering.parquet"), "from an older write");

        var written = RunTables.Write(run);

        Assert.Equal(["features.parquet", "training.parquet"], written.Select(Path.GetFileName));
        Assert.Equal(["features.parquet", "training.parquet"], Directory.GetFiles(Path.Combine(run, "tables")).Select(Path.GetFileName).Order());
        var features = ParquetReaders.Read(written[0])[written[0]];
        Assert.All(ParquetReaders.Names, r => Assert.All(features[r]!["columns"]!["top_tokens"]!.AsArray(), v => Assert.Null(v)));
    }

    [Fact]
    public void A_run_that_failed_before_any_output_writes_no_table()
    {
        var run = new FakeRun(_temp.Path, "exp", "failed").Stage("capture", new Dictionary<string, object>()).Write();
        Assert.Empty(RunTables.Write(run));
        Assert.False(Directory.Exists(Path.Combine(run, "tables")) && Directory.EnumerateFiles(Path.Combine(run, "tables")).Any());
    }

    [Fact]
    public void A_folder_that_is_not_a_run_folder_is_a_usage_error()
    {
        var e = Assert.Throws<RunnerException>(() => RunTables.Write(_temp.Path));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("is not a run folder (no stages.json)", e.Message);
    }

    [Fact]
    public void A_malformed_completion_line_names_the_file_and_line()
    {
        var steer = Steer();
        steer["completions.jsonl"] = "{\"setting\":\"baseline\",\"prompt\":\"a\",\"sample\":0,\"text\":\"b\"}\n{not json\n";
        var run = new FakeRun(_temp.Path, "exp", "bad").Stage("steer", steer).Write();
        var e = Assert.Throws<RunnerException>(() => RunTables.Write(run));
        Assert.Contains("completions.jsonl: line 2:", e.Message);
        Assert.False(File.Exists(Path.Combine(run, "tables", "steering.parquet")));
    }

    [Fact]
    public void The_sweep_table_has_one_row_per_run_with_typed_varied_keys_and_null_for_missing_metrics()
    {
        ParquetReaders.SkipOrFail();
        (int K, string Arch, JsonNode Lr, Dictionary<string, double> Metrics)[] points =
        [
            (4, "topk", JsonValue.Create(0.001), new() { ["train.mse"] = 1.5, ["evaluate.fvu"] = 0.25 }),
            (8, "relu", JsonValue.Create(1), new() { ["train.mse"] = double.NaN }),
            (16, "topk", JsonValue.Create(0.5), new() { ["train.mse"] = 0.5, ["evaluate.fvu"] = 0.125 }),
        ];
        var runs = points.Select((p, i) => new FakeRun(_temp.Path, "sweep", $"k={p.K}")
        {
            Point = i,
            Varied = [new("sae.k", JsonValue.Create(p.K)), new("sae.architecture", JsonValue.Create(p.Arch)), new("sae.lr", p.Lr)],
        }.Stage("train", new Dictionary<string, object>(), p.Metrics.Where(m => m.Key.StartsWith("train.")).ToDictionary(m => m.Key[6..], m => m.Value))
         .Stage("evaluate", new Dictionary<string, object>(), p.Metrics.Where(m => m.Key.StartsWith("evaluate.")).ToDictionary(m => m.Key[9..], m => m.Value))
         .Write()).ToList();
        var experiment = Path.GetDirectoryName(runs[0])!;

        var path = SweepTables.Write(experiment, [.. Enumerable.Reverse(runs)]);

        Assert.Equal(Path.Combine(experiment, "sweep.parquet"), path);
        var file = ParquetReaders.Read(path)[path];
        ParquetReaders.AssertColumns(file,
        [
            ("run", ["k=4", "k=8", "k=16"]),
            ("point", Ints(0, 1, 2)),
            ("sae.k", [4L, 8L, 16L]),
            ("sae.architecture", ["topk", "relu", "topk"]),
            ("sae.lr", [0.001, 1.0, 0.5]),
            ("evaluate.fvu", [0.25, null, 0.125]),
            ("train.mse", [1.5, double.NaN, 0.5]),
        ]);
        Assert.Equal(["VARCHAR", "INTEGER", "BIGINT", "VARCHAR", "DOUBLE", "DOUBLE", "DOUBLE"], file["duckdb"]!["types"]!.AsObject().Select(p => (string)p.Value!));
    }

    private static object?[] Ints(params int[] values) => values.Cast<object?>().ToArray();

    private static object?[] Doubles(params double[] values) => values.Cast<object?>().ToArray();
}
