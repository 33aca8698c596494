using System.Diagnostics;
using System.Text.Json.Nodes;
using Runner.Pipeline;

namespace Runner.Cli.Tests;

/// <summary><c>data.store: stream</c> end to end: no stored training rows, one model pass for many SAEs, plan-time errors, kill -9.</summary>
public sealed class StreamTests : IDisposable
{
    private const string Synthetic = TinySpecs.Synthetic;

    private const string Hf = """
        name: tiny-hf-stream
        seed: 5
        device: cpu
        model: { source: hf, path: ./model }
        data: { files: [docs/*.txt], context: 16, store: stream, shuffle_buffer: 1024 }
        hook: { layer: 1, site: resid_post }
        sae: { architecture: topk, dict_size: 64, k: 4, lr: 3e-3, batch_size: 128, tokens: 3_000 }
        evaluate: { tokens: 512, top_features: 2, top_examples: 2 }

        """;

    private readonly CliHarness _cli = new() { Stages = StageCatalog.Create };

    public void Dispose() => _cli.Dispose();

    private static JsonObject Json(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    private string Run(string experiment, string name) => Path.Combine(_cli.Directory, "runs", experiment, name);

    private static JsonObject TrainStage(string run) =>
        Json(Path.Combine(run, "stages.json"))["stages"]!.AsArray().Single(s => (string?)s!["name"] == "train")!.AsObject();

    // Every metric except the timings, which no two runs share.
    private static string Deterministic(string run) => string.Join("\n", MetricsJson.Read(Path.Combine(run, "metrics.json"))
        .Where(p => !p.Key.EndsWith("_seconds", StringComparison.Ordinal) && !p.Key.EndsWith("tokens_per_second", StringComparison.Ordinal))
        .Select(p => $"{p.Key}={p.Value!.ToJsonString()}"));

    [Fact]
    public void A_streamed_run_stores_no_training_rows_and_repeats_its_metrics_exactly()
    {
        _cli.Write("tiny.yaml", Synthetic);
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--set", "data.store=stream"));
        var run = Run("tiny-synthetic", "tiny-synthetic");
        Assert.True(Directory.Exists(Path.Combine(run, "stages", "capture", "eval")));
        Assert.False(Directory.Exists(Path.Combine(run, "stages", "capture", "train")));
        var metrics = MetricsJson.Read(Path.Combine(run, "metrics.json"));
        MetricsJson.AssertEveryMetricHasOneDefinition(run);   // train's stream figures
        Assert.True((double)metrics["evaluate.mmcs"]! > 0.8, $"mmcs {metrics["evaluate.mmcs"]}");
        Assert.Equal(60_160, (double)metrics["train.tokens"]!);
        Assert.Equal(1, (int)TrainStage(run)["passes"]!);

        using var again = new CliHarness { Stages = StageCatalog.Create };
        again.Write("tiny.yaml", Synthetic);
        Assert.Equal(0, again.Run("run", "tiny.yaml", "--set", "data.store=stream"));
        Assert.Equal(Deterministic(run), Deterministic(Path.Combine(again.Directory, "runs", "tiny-synthetic", "tiny-synthetic")));
    }

    [Fact]
    public void A_sweep_over_the_SAE_in_stream_mode_trains_every_point_from_one_pass()
    {
        _cli.Write("tiny.yaml", Synthetic + "sweep: { sae.k: [2, 3, 4, 6] }\n");
        Assert.Equal(0, _cli.Run("run", "tiny.yaml", "--set", "data.store=stream"));
        var stages = new[] { 2, 3, 4, 6 }.Select(k => TrainStage(Run("tiny-synthetic", $"k={k}"))).ToList();
        Assert.All(stages, s => Assert.Equal("computed", (string?)s["status"]));
        Assert.All(stages, s => Assert.Equal(1, (int)s["passes"]!));
        Assert.Single(stages.Select(s => (string?)s["stream"]).Distinct());
        Assert.Equal(4, (double)MetricsJson.Read(Path.Combine(Run("tiny-synthetic", "k=3"), "metrics.json"))["train.stream_members"]!);

        // Trained together or alone, a point's SAE is the same.
        using var alone = new CliHarness { Stages = StageCatalog.Create };
        alone.Write("tiny.yaml", Synthetic);
        Assert.Equal(0, alone.Run("run", "tiny.yaml", "--set", "data.store=stream", "--set", "sae.k=3"));
        var single = Path.Combine(alone.Directory, "runs", "tiny-synthetic", "tiny-synthetic");
        Assert.Equal(Deterministic(single).Replace("train.stream_members=1", ""), Deterministic(Run("tiny-synthetic", "k=3")).Replace("train.stream_members=4", ""));
    }

    [Fact]
    public void An_SAE_that_diverges_in_a_shared_pass_fails_its_own_point_only()
    {
        _cli.Write("tiny.yaml", Synthetic + "sweep: { sae.lr: [1e30, 3e-3] }\n");
        Assert.Equal(1, _cli.Run("run", "tiny.yaml", "--set", "data.store=stream", "--set", "sae.grad_clip=0"));
        Assert.Contains("stage train failed (point 0, lr=1e30): training diverged", _cli.Error);
        var failed = Runner.Pipeline.Runs.RunFolder.Read(Run("tiny-synthetic", "lr=1e30"));
        Assert.Equal(("train", Runner.Pipeline.Runs.StageStatus.Failed), (failed.Stages[^1].Name, failed.Stages[^1].Status));
        var finished = Json(Path.Combine(Run("tiny-synthetic", "lr=3e-3"), "stages.json"));   // no --keep-going needed: it trained in the same pass
        Assert.Equal("finished", (string?)finished["status"]);
        Assert.Equal(["capture", "train", "evaluate"], finished["stages"]!.AsArray().Select(st => (string?)st!["name"]));
    }

    [Fact]
    public void Hook_layers_swept_in_stream_mode_share_one_model_pass()
    {
        TinyHfCheckpoint.Write(Path.Combine(_cli.Directory, "model"));
        TinyHfCheckpoint.WriteDocuments(Path.Combine(_cli.Directory, "docs"), 40);
        _cli.Write("hf.yaml", Hf + "sweep: { hook.layer: [0, 1] }\n");
        Assert.Equal(0, _cli.Run("run", "hf.yaml"));
        var layer0 = TrainStage(Run("tiny-hf-stream", "layer=0"));
        var layer1 = TrainStage(Run("tiny-hf-stream", "layer=1"));
        Assert.Equal((string?)layer0["stream"], (string?)layer1["stream"]);
        Assert.Equal(2, (double)MetricsJson.Read(Path.Combine(Run("tiny-hf-stream", "layer=1"), "metrics.json"))["train.stream_members"]!);
        Assert.NotEqual((string?)layer0["key"], (string?)layer1["key"]);
        Assert.Equal("blocks.0.hook_resid_post", (string?)Json(Path.Combine(Run("tiny-hf-stream", "layer=0"), "sae", "cfg.json"))["metadata"]!["hook_name"]);

        using var alone = new CliHarness { Stages = StageCatalog.Create };
        TinyHfCheckpoint.Write(Path.Combine(alone.Directory, "model"));
        TinyHfCheckpoint.WriteDocuments(Path.Combine(alone.Directory, "docs"), 40);
        alone.Write("hf.yaml", Hf);
        Assert.Equal(0, alone.Run("run", "hf.yaml"));
        Assert.Equal(Deterministic(Path.Combine(alone.Directory, "runs", "tiny-hf-stream", "tiny-hf-stream")).Replace("train.stream_members=1", ""),
            Deterministic(Run("tiny-hf-stream", "layer=1")).Replace("train.stream_members=2", ""));
    }

    // A hook that reads every eval row and logs how many there are and an FNV-1a hash of their float32 bits.
    private const string EvalRowsHash = """
        let run (ctx: HookContext) =
            use reader = ctx.Activations()
            let mutable hash = 14695981039346656037UL
            let mutable rows = 0L
            for batch in reader.ReadSequential(4096, 0L, reader.Rows) do
                use b = batch
                for v in b.Activations.ToArray<float32>() do
                    hash <- (hash ^^^ uint64 (uint32 (System.BitConverter.SingleToInt32Bits v))) * 1099511628211UL
                rows <- rows + b.Count
            ctx.LogMetric("rows", float rows)
            ctx.LogMetric("hash", float (hash >>> 12))
        """;

    [Fact]
    public void Stream_mode_stores_only_the_eval_token_ids_and_recomputes_rows_equal_to_the_stored_ones()
    {
        _cli.ScriptHost = new Runner.Hooks.FSharp.FSharpScriptHost(Path.Combine(_cli.Directory, "hook-cache"));
        _cli.Stages = () => StageCatalog.Create(_cli.ScriptHost);
        TinyHfCheckpoint.Write(Path.Combine(_cli.Directory, "model"));
        TinyHfCheckpoint.WriteDocuments(Path.Combine(_cli.Directory, "docs"), 40);
        _cli.Write("rows.fsx", EvalRowsHash);
        const string hook = "hooks:\n  - { path: rows.fsx, when: after_train }\n";
        _cli.Write("stream.yaml", Hf + hook);
        _cli.Write("disk.yaml", Hf.Replace("name: tiny-hf-stream", "name: tiny-hf-disk").Replace("store: stream, shuffle_buffer: 1024", "tokens: 3_000") + hook);
        Assert.Equal(0, _cli.Run("run", "stream.yaml"));
        Assert.Equal(0, _cli.Run("run", "disk.yaml"));

        var stream = Path.Combine(Run("tiny-hf-stream", "tiny-hf-stream"), "stages", "capture");
        Assert.False(Directory.Exists(Path.Combine(stream, "eval")));
        Assert.True(File.Exists(Path.Combine(stream, "eval_ids.safetensors")));
        Assert.True(Directory.Exists(Path.Combine(Run("tiny-hf-disk", "tiny-hf-disk"), "stages", "capture", "eval")));
        var s = MetricsJson.Read(Path.Combine(Run("tiny-hf-stream", "tiny-hf-stream"), "metrics.json"));
        var d = MetricsJson.Read(Path.Combine(Run("tiny-hf-disk", "tiny-hf-disk"), "metrics.json"));
        Assert.Equal(512, (double)s["hooks_after_train.rows.rows"]!);
        Assert.Equal((double)d["hooks_after_train.rows.rows"]!, (double)s["hooks_after_train.rows.rows"]!);
        Assert.Equal((double)d["hooks_after_train.rows.hash"]!, (double)s["hooks_after_train.rows.hash"]!);
    }

    [Fact]
    public void Sae_tokens_beyond_what_the_text_supplies_is_a_spec_error_before_anything_runs()
    {
        TinyHfCheckpoint.Write(Path.Combine(_cli.Directory, "model"));
        TinyHfCheckpoint.WriteDocuments(Path.Combine(_cli.Directory, "docs"), 40);
        _cli.Write("hf.yaml", Hf);
        Assert.Equal(2, _cli.Run("run", "hf.yaml", "--set", "sae.tokens=1_000_000"));
        Assert.Matches(@"sae\.tokens: data\.store stream trains on fresh tokens only, and needs 1000064 .* but the data supplies \d+ after the 512 held-out tokens; lower sae\.tokens to at most \d+, add [\d.]+× the data, or use data\.store: disk", _cli.Error);
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, ".runner", "cache", "capture")));
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, "runs")));
    }

    [Fact]
    public void A_shuffle_buffer_that_does_not_fit_in_memory_is_a_spec_error_before_anything_runs()
    {
        _cli.Write("tiny.yaml", Synthetic);
        Assert.Equal(2, _cli.Run("run", "tiny.yaml", "--set", "data.store=stream", "--set", "data.shuffle_buffer=1e13"));
        Assert.Matches(@"data\.shuffle_buffer: 10000000000000 rows of 16 float32 values need about [\d.]+ GB in memory .* but this machine allows [\d.]+ GB; set data\.shuffle_buffer to at most \d+ rows", _cli.Error);
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, ".runner", "cache", "capture")));
    }

    [Fact]
    public void A_shuffle_buffer_with_disk_storage_is_a_spec_error()
    {
        _cli.Write("tiny.yaml", Synthetic);
        Assert.Equal(2, _cli.Run("run", "tiny.yaml", "--set", "data.shuffle_buffer=4096"));
        Assert.Contains("data.shuffle_buffer", _cli.Error);
    }

    [Fact]
    public async Task A_streamed_run_killed_at_random_moments_resumes_and_matches_an_uninterrupted_run()
    {
        // Long enough to kill mid-training: about 2,300 steps, a checkpoint every 50 of them.
        string[] sets = ["--set", "data.store=stream", "--set", "sae.tokens=600_000", "--set", "sae.checkpoint_every=12_800", "--set", "tracking=none"];
        _cli.Write("tiny.yaml", Synthetic);
        using var reference = new CliHarness();
        reference.Write("tiny.yaml", Synthetic);
        Assert.Equal(0, await Child.RunAsync(reference.Directory, ["run", "tiny.yaml", .. sets]));
        var expected = Deterministic(Path.Combine(reference.Directory, "runs", "tiny-synthetic", "tiny-synthetic"));

        var random = new Random(Environment.TickCount);
        var checkpoints = Path.Combine(_cli.Directory, ".runner", "cache", ".checkpoints", "train");
        var kills = 0;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            using var child = Child.Start(_cli.Directory, ["run", "tiny.yaml", .. sets]);
            // The first kill at any moment (startup, capture, training); the others once a checkpoint exists.
            var deadline = Stopwatch.StartNew();
            while (attempt > 0 && !(Directory.Exists(checkpoints) && Directory.EnumerateFiles(checkpoints, "*", SearchOption.AllDirectories).Any())
                && !child.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(2))
                await Task.Delay(20, TestContext.Current.CancellationToken);
            await Task.Delay(random.Next(100, 1500), TestContext.Current.CancellationToken);
            if (child.HasExited) break;
            child.Kill();   // SIGKILL: no handler runs
            await child.WaitForExitAsync(TestContext.Current.CancellationToken);
            kills++;
        }
        Assert.True(kills > 0, "the run finished before any kill");
        Assert.Equal(0, await Child.RunAsync(_cli.Directory, ["run", "tiny.yaml", .. sets]));
        Assert.Equal(expected, Deterministic(Run("tiny-synthetic", "tiny-synthetic")));
    }

    /// <summary>The runner CLI as a child process (its own .NET host), in a folder.</summary>
    private static class Child
    {
        public static Process Start(string directory, string[] args)
        {
            var dll = typeof(Runner.Cli.Commands.RunCommand).Assembly.Location;
            var host = Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
                : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h : "dotnet";
            var info = new ProcessStartInfo(host) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(dll);
            foreach (var a in args) info.ArgumentList.Add(a);
            info.Environment.Remove("RUNNER_CACHE");
            info.Environment["MLFLOW_TRACKING_URI"] = Path.Combine(directory, "mlruns");
            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        public static async Task<int> RunAsync(string directory, string[] args)
        {
            using var process = Start(directory, args);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            return process.ExitCode;
        }
    }
}
