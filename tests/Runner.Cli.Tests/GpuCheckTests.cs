using System.Text.Json.Nodes;
using Runner.Cli.GpuCheck;
using Runner.Torch;

namespace Runner.Cli.Tests;

/// <summary>
/// gpu-check's parts that need no GPU: reading xunit reports, comparing CPU and CUDA metrics, reading bench
/// figures, and the refusal of a CUDA device this libtorch cannot give. The whole command runs end to end
/// from a bundle in tests/bundle/run.sh (CI).
/// </summary>
public sealed class GpuCheckTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void An_xunit_report_is_read_row_by_row_and_only_deviceName_cuda_rows_count_as_device_rows()
    {
        var xml = _cli.Write("report.xml", """
            <?xml version="1.0" encoding="utf-8"?><assemblies schema-version="3">
            <assembly name="/x/Runner.Torch.Tests.dll" total="4"><collection name="c">
            <test name="T.Adds(deviceName: \&quot;cpu\&quot;)" result="Pass" />
            <test name="T.Adds(deviceName: \&quot;cuda\&quot;)" result="Fail"><failure><message>expected 1
            got 2</message></failure></test>
            <test name="T.Parses(text: \&quot;cuda:0\&quot;)" result="Pass" />
            <test name="T.Moves(deviceName: \&quot;cuda\&quot;)" result="Skip"><reason>no CUDA device on this machine</reason></test>
            </collection></assembly></assemblies>
            """);
        var rows = DeviceRows.Read(xml);
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal("Runner.Torch.Tests", r.Assembly));
        Assert.Equal([false, true, false, true], rows.Select(r => r.IsDeviceRow));
        Assert.Equal(new RowCounts(2, 0, 1, 1), RowCounts.Of(rows.Where(r => r.IsDeviceRow)));
        Assert.StartsWith("expected 1", rows[1].Message);
        Assert.Equal("no CUDA device on this machine", rows[3].Message);
    }

    [Fact]
    public void Agreement_compares_shared_numeric_metrics_leaves_timings_out_and_applies_each_tolerance()
    {
        var cpu = JsonNode.Parse("""{"evaluate.fvu": 0.0721, "evaluate.mse": 2.5, "evaluate.l0": 12.8, "evaluate.freq_over_1_percent": 0.588, "evaluate.dead_fraction": 0.05, "train.seconds": 11.0, "train.tokens_per_second": 1e6, "train.only_cpu": 1, "evaluate.note": "text"}""")!.AsObject();
        var cuda = JsonNode.Parse("""{"evaluate.fvu": 0.0722, "evaluate.mse": 2.7, "evaluate.l0": 12.9, "evaluate.freq_over_1_percent": 0.603, "evaluate.dead_fraction": 0.08, "train.seconds": 8.0, "train.tokens_per_second": 2e6, "evaluate.note": "text"}""")!.AsObject();
        var rows = Agreement.Compare(cpu, cuda).ToDictionary(r => r.Name);
        Assert.Equal(["evaluate.dead_fraction", "evaluate.freq_over_1_percent", "evaluate.fvu", "evaluate.l0", "evaluate.mse"], rows.Keys.Order());
        Assert.True(rows["evaluate.fvu"].Agrees);                       // 0.0001 <= the 0.005 floor
        Assert.Equal(0.005, rows["evaluate.fvu"].Tolerance, 12);
        Assert.True(rows["evaluate.l0"].Agrees);                        // 0.1 <= 2% of 12.9
        Assert.False(rows["evaluate.mse"].Agrees);                      // 0.2 > 2% of 2.7
        Assert.True(rows["evaluate.freq_over_1_percent"].Agrees);       // 0.015 <= 0.02 (latents)
        Assert.False(rows["evaluate.dead_fraction"].Agrees);            // 0.03 > 0.02
        Assert.True(new MetricAgreement("m", double.NaN, double.NaN, double.NaN, 0.1).Agrees);
        Assert.False(new MetricAgreement("m", 1, double.NaN, double.NaN, 0.1).Agrees);
    }

    [Fact]
    public void The_agreement_spec_loads_the_pretrained_model_as_a_checkpoint_without_steering_hooks_or_tracking()
    {
        var spec = Agreement.Spec("/repo/experiments/golden-gate-mini.yaml", "/out/model");
        Assert.Contains("include: [\"/repo/experiments/golden-gate-mini.yaml\"]", spec);
        Assert.Contains("model: { source: hf, path: \"/out/model\", toy: null }", spec);
        Assert.Contains("steer: null", spec);
        Assert.Contains("hooks: null", spec);
        Assert.Contains("tracking: none", spec);
    }

    [Fact]
    public void A_bench_figure_is_read_from_the_last_json_line_of_the_output()
    {
        Assert.Equal(12.5, Benches.Figure("runner: building...\n{\"gflops\": 1}\n{\"gflops\": 12.5, \"x\": 1}\n", "gflops"));
        Assert.Null(Benches.Figure("no json here\n", "gflops"));
        Assert.Null(Benches.Figure("{\"tokens_per_s\": 3}\n", "gflops"));
    }

    [Fact]
    public void The_gpu_shapes_are_the_issue_s_and_every_case_has_a_pytorch_reference()
    {
        var gpu = Benches.For(cuda: true, quick: false, threads: 16);
        Assert.Contains(gpu, c => c.Name == "sae relu 4096x32768 bfloat16");
        Assert.Contains(gpu, c => c.Name == "sae topk 4096x131072 k64 bfloat16" && c.Reference.Count == 2);
        Assert.Contains(gpu, c => c.Name.StartsWith("matmul bfloat16", StringComparison.Ordinal));
        Assert.Contains(gpu, c => c.Name.StartsWith("capture gpt2-small", StringComparison.Ordinal));
        Assert.All(gpu, c => Assert.DoesNotContain("--threads", c.Runner));
        Assert.All(Benches.For(cuda: false, quick: true, threads: 2), c =>
        {
            Assert.Contains("--threads", c.Runner);
            Assert.All(c.Reference, r => Assert.Contains("--threads", r.Args));
        });
    }

    [Fact]
    public void Asking_for_cuda_from_a_libtorch_without_it_is_one_line_and_exit_2()
    {
        Assert.SkipWhen(TorchRuntime.CudaIsAvailable, "this libtorch has CUDA");
        Assert.Equal(2, _cli.Run("bench", "matmul", "--device", "cuda", "--m", "8", "--k", "8", "--n", "8"));
        var error = _cli.Error.Trim();
        Assert.Single(error.Split('\n'));
        Assert.StartsWith("error: device cuda: this libtorch (", error);
        Assert.Contains("has no CUDA or sees no GPU", error);
        Assert.Contains("--device cpu", error);
        _cli.Write("spec.yaml", TinySpecs.Synthetic);
        Assert.Equal(2, _cli.Run("run", "spec.yaml", "--device", "cuda"));
        Assert.StartsWith("error: device cuda: this libtorch (", _cli.Error.Trim());
        Assert.False(Directory.Exists(Path.Combine(_cli.Directory, "runs")), "nothing ran");
    }

    [Fact]
    public void Gpu_check_rejects_a_bad_budget_and_unknown_parts_with_exit_2()
    {
        Assert.Equal(2, _cli.Run("gpu-check", "--minutes", "0"));
        Assert.Equal("error: --minutes must be positive, got 0", _cli.Error.Trim());
        Assert.Equal(2, _cli.Run("gpu-check", "--skip", "benches"));
        Assert.Equal("error: --skip takes tests, agreement or bench, got 'benches'", _cli.Error.Trim());
    }
}
