using System.Text.Json.Nodes;
using Runner.Hooks.FSharp;
using Runner.Pipeline.Hooks;
using Runner.Pipeline.Spec;

namespace Runner.Cli.Tests;

/// <summary>F# hook scripts through the CLI: compiled by the real FSharpChecker host, run after test stages.</summary>
public sealed class HookTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public HookTests()
    {
        _cli.ScriptHost = NewHost();
        _cli.Stages = () => [_cli.Capture, _cli.Train, new Absent("pretrain"), new Absent("evaluate"), new Absent("steer"),
            .. Enum.GetValues<HookWhen>().Select(w => new HookStage(w, _cli.ScriptHost))];
    }

    // A stage the hook stages may read that does not apply to these points.
    private sealed class Absent(string name) : Runner.Pipeline.Stages.IStage
    {
        public string Name => name;
        public int Version => 1;
        public IReadOnlyList<string> Inputs => [];
        public IReadOnlyList<string> ExcludedFields => [];
        public JsonNode? SpecSlice(ResolvedPoint point) => null;
        public bool AppliesTo(ResolvedPoint point) => false;
        public Task<Runner.Pipeline.Stages.StageResult> RunAsync(Runner.Pipeline.Stages.StageContext context, CancellationToken cancellationToken) => throw new InvalidOperationException();
    }

    public void Dispose() => _cli.Dispose();

    private FSharpScriptHost NewHost() => new(Path.Combine(_cli.Directory, "hook-cache"));

    private static string Spec(string hooks) => $"""
        name: demo
        seed: 1
        model: {"{"} source: toy {"}"}
        sae: {"{"} architecture: topk, dict_size: 64, k: 4 {"}"}
        hooks:
        {hooks}
        """;

    private const string Probe = """
        let run (ctx: HookContext) =
            ctx.LogMetric("answer", float (ctx.ArgInt("answer", 0)))
            ctx.LogParam("greeting", ctx.Arg("greeting", "none"))
            ctx.LogText("note.txt", sprintf "run %s, train.value %g" ctx.RunName ctx.Metrics.["train.value"])
            ctx.WriteParquet("probe", HookColumn("feature", [| 1; 2 |]), HookColumn("score", [| 0.5; 0.25 |])) |> ignore
        """;

    private string Run(string experiment = "demo") => Path.Combine(_cli.Directory, "runs", experiment, experiment);

    private static JsonObject Metrics(string run) => MetricsJson.Read(Path.Combine(run, "metrics.json"));

    [Fact]
    public void A_hook_logs_a_metric_param_artifact_and_table_that_reach_the_run_folder_and_mlflow()
    {
        _cli.Write("analyses/probe.fsx", Probe);
        _cli.Write("demo.yaml", Spec("  - { path: analyses/probe.fsx, args: { answer: 42, greeting: hi } }"));
        Assert.True(_cli.Run("run", "demo.yaml") == 0, _cli.Error);
        Assert.Contains("hooks: done", _cli.Error);

        Assert.Equal(42, (double)Metrics(Run())["hooks.probe.answer"]!);
        Assert.True(File.Exists(Path.Combine(Run(), "tables", "probe.parquet")));
        Assert.Equal("run demo, train.value 5", File.ReadAllText(Path.Combine(Run(), "stages", "hooks", "artifacts", "probe", "note.txt")));

        var experiment = Assert.Single(Directory.GetDirectories(Path.Combine(_cli.Directory, "mlruns")), d => Path.GetFileName(d) is not ("0" or ".trash"));
        var mlrun = Assert.Single(Directory.GetDirectories(experiment));
        Assert.Contains(" 42", File.ReadAllText(Path.Combine(mlrun, "metrics", "hooks.probe.answer")));
        Assert.Equal("hi", File.ReadAllText(Path.Combine(mlrun, "params", "hooks.probe.greeting")));
        Assert.True(File.Exists(Path.Combine(mlrun, "artifacts", "tables", "probe.parquet")));
        Assert.True(File.Exists(Path.Combine(mlrun, "artifacts", "hooks", "hooks", "probe", "note.txt")));
    }

    [Fact]
    public void A_compile_error_is_printed_with_the_scripts_file_line_and_column_and_exits_1()
    {
        var script = _cli.Write("analyses/bad.fsx", """
            let run (ctx: HookContext) =
                let x = 1
                ctx.LogMetric("answer", undefinedThing)
            """);
        var expected = $"{script}(3,29): error FS0039: The value or constructor 'undefinedThing' is not defined.";

        Assert.Equal(1, _cli.Run("hook", "check", "analyses/bad.fsx"));
        Assert.Equal(expected, _cli.Error.Trim());

        _cli.Write("demo.yaml", Spec("  - analyses/bad.fsx"));
        Assert.Equal(1, _cli.Run("run", "demo.yaml"));
        Assert.Contains(expected, _cli.Error);
        Assert.Contains("bad.fsx does not compile", _cli.Error);

        _cli.Write("analyses/good.fsx", Probe);
        Assert.Equal(0, _cli.Run("hook", "check", "analyses/good.fsx"));
        Assert.Contains("analyses/good.fsx: ok", _cli.Out);
    }

    [Fact]
    public void A_hook_that_throws_fails_its_stage_with_the_scripts_message_and_every_other_stage_stays_cached()
    {
        _cli.Write("analyses/boom.fsx", """
            let run (ctx: HookContext) =
                failwith "no bridge feature here"
            """);
        _cli.Write("demo.yaml", Spec("  - analyses/boom.fsx"));
        Assert.Equal(1, _cli.Run("run", "demo.yaml"));
        Assert.True(_cli.Error.Contains("stage hooks failed (point 0, demo): hook boom.fsx:2 failed: no bridge feature here"), _cli.Error);
        Assert.Contains("FAILED", File.ReadAllText(Path.Combine(Run(), "stages.json")).ToUpperInvariant());

        _cli.Write("analyses/boom.fsx", Probe);
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal(1, _cli.Capture.Calls);
        Assert.Equal(1, _cli.Train.Calls);
        Assert.Contains("hooks.boom.answer", Metrics(Run()).Select(p => p.Key));
    }

    [Fact]
    public void A_second_run_compiles_nothing()
    {
        _cli.Write("analyses/probe.fsx", Probe);
        _cli.Write("demo.yaml", Spec("  - { path: analyses/probe.fsx, args: { answer: 1 } }"));
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal(1, ((FSharpScriptHost)_cli.ScriptHost!).Compilations);
        Assert.Contains("probe: compiled in", _cli.Error);

        // A new process (a new host) and new args: the hook stage reruns, the script is not compiled again.
        var second = NewHost();
        _cli.ScriptHost = second;
        _cli.Write("demo.yaml", Spec("  - { path: analyses/probe.fsx, args: { answer: 2 } }"));
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Equal(0, second.Compilations);
        Assert.Contains("probe: compiled form from the cache", _cli.Error);
        Assert.Equal(2, (double)Metrics(Run())["hooks.probe.answer"]!);

        // The same spec again: the hook stage itself comes from the stage cache.
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.DoesNotContain("compiled", _cli.Error);
        Assert.Equal(0, second.Compilations);
    }

    [Fact]
    public void Hooks_with_when_run_right_after_their_stage_and_show_in_the_plan()
    {
        _cli.Write("analyses/probe.fsx", Probe);
        _cli.Write("demo.yaml", Spec("  - { path: analyses/probe.fsx, when: after_train }"));
        Assert.Equal(0, _cli.Run("run", "demo.yaml", "--dry-run"));
        Assert.Contains("hooks_after_train", _cli.Out + _cli.Error);
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));
        Assert.Contains("hooks_after_train.probe.answer", Metrics(Run()).Select(p => p.Key));
    }
}
