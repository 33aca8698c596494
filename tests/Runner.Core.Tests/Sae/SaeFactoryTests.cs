using Runner.Core.Sae;
using Runner.Torch;
using static Runner.Core.Tests.Sae.SaeTestKit;

namespace Runner.Core.Tests.Sae;

public sealed class SaeFactoryTests
{
    public static TheoryData<SaeKind, string> Kinds => new()
    {
        { SaeKind.Relu, "standard" },
        { SaeKind.TopK, "topk" },
        { SaeKind.BatchTopK, "jumprelu" },
        { SaeKind.JumpRelu, "jumprelu" },
    };

    private static ISparseAutoencoder Trained(SaeKind kind, int steps = 3)
    {
        using var g = new Generator(21);
        var sae = SaeFactory.Create(Options(kind), g, Device.Cpu);
        using var adam = new Adam(sae.Parameters.Select(p => p.Value), lr: 0.01);
        for (var i = 0; i < steps; i++)
        {
            using var scope = TensorScope.Enter();
            sae.TrainingForward(Inputs(32, seed: (ulong)i, dtype: DType.Float32), new SaeStepContext()).Loss.Backward();
            sae.BeforeOptimizerStep();
            adam.Step();
            sae.AfterOptimizerStep();
            adam.ZeroGrad();
        }
        return sae;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Export_has_SAELens_v6_names_shapes_and_architecture(SaeKind kind, string architecture)
    {
        using var scope = TensorScope.Enter();
        using var sae = Trained(kind);
        var t = sae.ExportSaeLens();
        Assert.Equal(architecture, sae.SaeLensArchitecture);
        var expected = architecture == "jumprelu" ? new[] { "W_dec", "W_enc", "b_dec", "b_enc", "threshold" } : ["W_dec", "W_enc", "b_dec", "b_enc"];
        Assert.Equal(expected, t.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([(long)DIn, DSae], t["W_enc"].Shape);
        Assert.Equal([(long)DSae], t["b_enc"].Shape);
        Assert.Equal([(long)DSae, DIn], t["W_dec"].Shape);
        Assert.Equal([(long)DIn], t["b_dec"].Shape);
        if (architecture == "jumprelu") Assert.Equal([(long)DSae], t["threshold"].Shape);
        Assert.All(t.Values, v => Assert.Equal(DType.Float32, v.DType));
        Assert.All(t.Values, v => Assert.True(v.Device.IsCpu && v.IsContiguous));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Export_then_load_encodes_and_decodes_identically_with_a_non_trivial_input_scale(SaeKind kind, string architecture)
    {
        using var scope = TensorScope.Enter();
        using var sae = Trained(kind);
        var raw = Inputs(10, seed: 99, dtype: DType.Float32) * 3;
        foreach (var s in new[] { 0.5, 1.7 })
        {
            sae.InputScale = s;
            using var loaded = SaeFactory.FromSaeLens(architecture, sae.Options.K, sae.ExportSaeLens());
            Assert.Equal(1, loaded.InputScale);
            var f = sae.Encode(raw * s);
            Assert.True(f.Gt(0).Any().ToBoolean());
            var fLoaded = loaded.Encode(raw);
            var xHat = sae.Decode(f) / s;                                         // back to raw space
            var xHatLoaded = loaded.Decode(f);
            if (s == 0.5)
            {
                // A power of two scales exactly: the folded weights give bit-identical results.
                Assert.True(f.Equal(fLoaded), "encode differs");
                Assert.True(xHat.Equal(xHatLoaded), "decode differs");
            }
            else
            {
                Close(f, fLoaded, 1e-5, "f");
                Close(xHat, xHatLoaded, 1e-5, "x̂");
            }
        }
    }

    [Fact]
    public void Export_folds_the_input_scale_into_the_encoder_weight_and_both_decoder_tensors()
    {
        using var scope = TensorScope.Enter();
        using var sae = Trained(SaeKind.Relu);
        sae.InputScale = 4;
        var t = sae.ExportSaeLens();
        Close(Param(sae, "W_enc").Detach().T * 4, t["W_enc"], 1e-7, "W_enc");
        Close(Param(sae, "W_dec").Detach() / 4, t["W_dec"], 1e-7, "W_dec");
        Close(Param(sae, "b_dec").Detach() / 4, t["b_dec"], 1e-7, "b_dec");
        Close(Param(sae, "b_enc").Detach(), t["b_enc"], 0, "b_enc");
    }

    [Fact]
    public void Loading_reports_missing_tensors_wrong_shapes_and_unknown_architectures()
    {
        using var scope = TensorScope.Enter();
        using var sae = Trained(SaeKind.TopK, steps: 0);
        var t = sae.ExportSaeLens().ToDictionary();
        var e = Assert.Throws<RunnerException>(() => SaeFactory.FromSaeLens("gated", null, t));
        Assert.Equal("SAELens architecture 'gated' is not supported (expected standard, topk, jumprelu)", e.Message);
        e = Assert.Throws<RunnerException>(() => SaeFactory.FromSaeLens("topk", null, t));
        Assert.Equal("a SAELens topk SAE needs k in [1, 64], got none", e.Message);
        e = Assert.Throws<RunnerException>(() => SaeFactory.FromSaeLens("jumprelu", null, t));
        Assert.Equal("SAELens tensors: 'threshold' is missing (have: W_dec, W_enc, b_dec, b_enc)", e.Message);
        t["b_dec"] = Tensors.Zeros([DIn + 1]);
        e = Assert.Throws<RunnerException>(() => SaeFactory.FromSaeLens("standard", null, t));
        Assert.Equal("SAELens tensor 'b_dec' has shape [17], expected [16] (d_in 16, d_sae 64 from W_enc)", e.Message);
    }

    [Fact]
    public void Create_rejects_impossible_options()
    {
        using var g = new Generator(0);
        var e = Assert.Throws<ArgumentException>(() => SaeFactory.Create(Options(SaeKind.TopK, k: DSae + 1), g, Device.Cpu));
        Assert.Equal("k must be in [1, d_sae = 64], got 65", e.Message);
        Assert.Throws<ArgumentException>(() => SaeFactory.Create(Options(SaeKind.Relu), g, Device.Cpu, DType.BFloat16));
    }

    public static TheoryData<SaeKind, string, SaeKernels> KindsOnDevices => new()
    {
        { SaeKind.Relu, "cpu", SaeKernels.Auto }, { SaeKind.Relu, "cuda", SaeKernels.Auto },
        { SaeKind.TopK, "cpu", SaeKernels.Dense }, { SaeKind.TopK, "cuda", SaeKernels.Dense },
        { SaeKind.TopK, "cpu", SaeKernels.Sparse }, { SaeKind.TopK, "cuda", SaeKernels.Sparse },
        { SaeKind.BatchTopK, "cpu", SaeKernels.Auto }, { SaeKind.BatchTopK, "cuda", SaeKernels.Auto },
        { SaeKind.JumpRelu, "cpu", SaeKernels.Auto }, { SaeKind.JumpRelu, "cuda", SaeKernels.Auto },
    };

    [Theory]
    [MemberData(nameof(KindsOnDevices))]
    public void Forward_and_backward_run_on_the_device_in_float32_and_under_bf16_autocast(SaeKind kind, string deviceName, SaeKernels kernels)
    {
        var device = Devices.Use(deviceName);
        using var scope = TensorScope.Enter();
        using var g = new Generator(8);
        using var sae = SaeFactory.Create(Options(kind, kernels: kernels), g, device);
        var x = Inputs(24, dtype: DType.Float32).To(device);
        var step = new SaeStepContext { DeadMask = Mask(1, 2, 3).To(device) };
        var fp32 = sae.TrainingForward(x, step);
        fp32.Loss.Backward();
        foreach (var (name, p) in sae.Parameters)
        {
            var grad = p.Grad;
            Assert.True(grad is not null, $"{name} has no gradient");
            Assert.Equal(device.Type, grad.Device.Type);
            Assert.Equal(DType.Float32, grad.DType);
            Assert.True(grad.IsFinite().All().ToBoolean(), $"{name}: non-finite gradient");
            p.Grad = null;
        }
        SaeForward bf16;
        using (TorchRuntime.Autocast(device)) bf16 = sae.TrainingForward(x, step);
        bf16.Loss.Backward();
        Assert.All(sae.Parameters, p => Assert.Equal(DType.Float32, p.Value.Grad!.DType));
        Assert.Equal(fp32.Loss.ToDouble(), bf16.Loss.ToDouble(), Math.Abs(fp32.Loss.ToDouble()) * 0.03);
        Assert.Equal(device.Type, sae.Encode(x).Device.Type);
    }
}
