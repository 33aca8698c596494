namespace Runner.Cli.Tests;

public sealed class CommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Validate_reports_every_error_with_its_position_and_exits_2()
    {
        _cli.Write("good.yaml", "name: a\n");
        _cli.Write("bad.yaml", "name: b\nsae: { dict_sise: 4096, lr: -1 }\nseed: zero\n");
        Assert.Equal(2, _cli.Run("validate", "good.yaml", "bad.yaml"));
        Assert.Contains("good.yaml: ok (a, 1 run)", _cli.Out);
        Assert.Equal(
            """
            bad.yaml:2:8: sae.dict_sise: unknown key; did you mean dict_size?
            bad.yaml:2:29: sae.lr: must be > 0, got -1
            bad.yaml:3:7: seed: expected an integer, got "zero"
            3 errors

            """.ReplaceLineEndings(), _cli.Error.ReplaceLineEndings());
    }

    [Fact]
    public void Validate_of_valid_specs_exits_0()
    {
        _cli.Write("good.yaml", "name: a\nsweep: { sae.k: [8, 16, 32] }\n");
        Assert.Equal(0, _cli.Run("validate", "good.yaml"));
        Assert.Contains("good.yaml: ok (a, 3 runs)", _cli.Out);
    }

    [Fact]
    public void Unknown_commands_and_options_exit_2()
    {
        Assert.Equal(2, _cli.Run("frobnicate"));
        Assert.Contains("Unrecognized command or argument 'frobnicate'", _cli.Error);
        Assert.Equal(2, _cli.Run("run", "x.yaml", "--no-such-option"));
    }

    [Fact]
    public void Ls_and_show_describe_finished_runs()
    {
        _cli.Write("demo.yaml", "name: demo\nsae: { k: 4 }\n");
        Assert.Equal(0, _cli.Run("ls"));
        Assert.Contains("no runs under", _cli.Out);
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));

        Assert.Equal(0, _cli.Run("ls"));
        Assert.Matches(@"demo\s+demo\s+\S+ \S+\s+2 computed, 0 cached\s+2\s+runs/demo/demo", _cli.Out);

        Assert.Equal(0, _cli.Run("show", "runs/demo/demo"));
        Assert.Contains("demo / demo  (point 0)", _cli.Out);
        Assert.Matches(@"train\s+computed\s+\d+\.\d\s+\w{12}", _cli.Out);
        Assert.Matches(@"train\.value\s+5", _cli.Out);
    }

    [Fact]
    public void Show_of_a_folder_that_is_no_run_exits_with_a_message()
    {
        Assert.NotEqual(0, _cli.Run("show", "nowhere"));
        Assert.Contains("nowhere", _cli.Error);
        Assert.DoesNotContain("   at ", _cli.Error);
    }

    [Fact]
    public void Cache_ls_rm_and_gc_manage_entries()
    {
        _cli.Write("demo.yaml", "name: demo\nsae: { k: 4 }\n");
        Assert.Equal(0, _cli.Run("run", "demo.yaml"));

        Assert.Equal(0, _cli.Run("cache", "ls"));
        Assert.Matches(@"capture\s+\w{12}\s+\d", _cli.Out);
        Assert.Contains("2 entries", _cli.Out);

        Assert.Equal(0, _cli.Run("cache", "gc"));
        Assert.Contains("0 entries and", _cli.Out); // both are used by the run folder

        Directory.Delete(Path.Combine(_cli.Directory, "runs"), recursive: true);
        Assert.Equal(0, _cli.Run("cache", "gc", "--dry-run"));
        Assert.Contains("would remove capture/", _cli.Out);
        Assert.Equal(0, _cli.Run("cache", "rm", "train"));
        Assert.Contains("1 entries removed", _cli.Out);
        Assert.Equal(0, _cli.Run("cache", "gc"));
        Assert.Contains("removed capture/", _cli.Out);
        Assert.Equal(0, _cli.Run("cache", "ls"));
        Assert.Contains("is empty", _cli.Out);
    }

    [Fact]
    public void Cache_rm_without_a_selector_is_a_usage_error()
    {
        Assert.Equal(2, _cli.Run("cache", "rm"));
        Assert.Contains("cache rm: name what to remove", _cli.Error);
    }

    [Fact]
    public void A_libtorch_failure_is_one_line_with_exit_code_1()
    {
        // A 10^9 x 10^9 float32 operand (4 EB): libtorch's allocator refuses it at once. (An unavailable CUDA
        // device no longer reaches libtorch: it is a usage error, see GpuCheckTests.)
        Assert.Equal(1, _cli.Run("bench", "matmul", "--m", "1000000000", "--k", "1000000000", "--n", "8"));
        Assert.StartsWith("error: ", _cli.Error);
        Assert.Single(_cli.Error.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", _cli.Error);
    }
}
