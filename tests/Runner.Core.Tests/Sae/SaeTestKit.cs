using Runner.Core.Sae;
using Runner.Torch;

namespace Runner.Core.Tests.Sae;

/// <summary>The devices a device-parameterized test runs on: cpu always, cuda when present (skipped otherwise).</summary>
public static class Devices
{
    /// <summary>Theory data: "cpu" and "cuda".</summary>
    public static TheoryData<string> All => new("cpu", "cuda");

    /// <summary>The device named by a theory row, skipping the test when it is CUDA and none is present.</summary>
    public static Device Use(string name)
    {
        var device = Device.Parse(name);
        if (device.IsCuda) Assert.SkipUnless(TorchRuntime.CudaIsAvailable, "no CUDA device on this machine");
        return device;
    }
}

/// <summary>Tiny SAEs, inputs and numeric checks for the architecture tests (d_in 16, d_sae 64, CPU, fixed seeds).</summary>
internal static class SaeTestKit
{
    public const int DIn = 16;
    public const int DSae = 64;

    public static SaeOptions Options(SaeKind kind, int k = 4, SaeKernels kernels = SaeKernels.Auto) =>
        new() { Kind = kind, DIn = DIn, DSae = DSae, K = k, Kernels = kernels, AuxK = 6 };

    /// <summary>An SAE with seeded init; float64 for gradient checks. Biases are made non-zero so that every term is exercised.</summary>
    public static ISparseAutoencoder Create(SaeOptions options, DType dtype = DType.Float64, ulong seed = 7, Device? device = null)
    {
        using var g = new Generator(seed);
        var sae = SaeFactory.Create(options, g, device ?? Device.Cpu, dtype);
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        foreach (var (name, p) in sae.Parameters)
        {
            if (name == "b_enc") p.Copy_(Tensors.Randn(p.Shape, g, DType.Float64) * 0.1);
            if (name == "b_dec") p.Copy_(Tensors.Randn(p.Shape, g, DType.Float64) * 0.2);
        }
        return sae;
    }

    /// <summary>Seeded Gaussian rows [rows, DIn] (with a mean offset), owned by the current scope.</summary>
    public static Tensor Inputs(int rows = 8, ulong seed = 11, DType dtype = DType.Float64, int dIn = DIn)
    {
        using var g = new Generator(seed);
        return (Tensors.Randn([rows, dIn], g, DType.Float64) + 0.3).To(dtype);
    }

    /// <summary>A [DSae] mask with the given latents set.</summary>
    public static Tensor Mask(params int[] latents)
    {
        var m = new bool[DSae];
        foreach (var i in latents) m[i] = true;
        return Tensors.From(m);
    }

    public static Tensor Param(ISparseAutoencoder sae, string name) => sae.Parameters.Single(p => p.Key == name).Value;

    public static double[] Values(Tensor t) => t.To(Device.Cpu, DType.Float64).ToArray<double>();

    /// <summary>Asserts |e − a| ≤ tol · max(1, |e|) elementwise.</summary>
    public static void Close(IReadOnlyList<double> expected, IReadOnlyList<double> actual, double tol, string what = "")
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tol * Math.Max(1, Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tol})");
    }

    public static void Close(Tensor expected, Tensor actual, double tol, string what = "")
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Close(Values(expected), Values(actual), tol, what);
    }

    /// <summary>Every parameter's gradient after Backward of the training loss, as arrays by name (gradients are dropped afterwards).</summary>
    public static Dictionary<string, double[]> Gradients(ISparseAutoencoder sae, Tensor x, SaeStepContext? step = null)
    {
        using var scope = TensorScope.Enter();
        foreach (var (_, p) in sae.Parameters) p.Grad = null;
        sae.TrainingForward(x, step ?? new SaeStepContext()).Loss.Backward();
        var grads = sae.Parameters.ToDictionary(p => p.Key, p => p.Value.Grad is { } g ? Values(g) : new double[p.Value.NumberOfElements]);
        foreach (var (_, p) in sae.Parameters) p.Grad = null;
        return grads;
    }

    /// <summary>The training loss without autograd.</summary>
    public static double Loss(ISparseAutoencoder sae, Tensor x, SaeStepContext? step = null)
    {
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        return sae.TrainingForward(x, step ?? new SaeStepContext()).Loss.ToDouble();
    }

    /// <summary>
    /// Central finite differences of the training loss for <paramref name="count"/> seeded entries of
    /// parameter <paramref name="name"/>, against the autograd gradient (float64 SAE).
    /// </summary>
    public static void CheckFiniteDifferences(ISparseAutoencoder sae, Tensor x, string name, SaeStepContext? step = null, int count = 24, double eps = 1e-6, double tol = 1e-6)
    {
        var analytic = Gradients(sae, x, step)[name];
        var p = Param(sae, name);
        var rng = new Random(name.Length * 31 + count);
        var picks = Enumerable.Range(0, count).Select(_ => rng.Next(analytic.Length)).Distinct().ToArray();
        foreach (var j in picks)
        {
            double Shifted(double delta)
            {
                using (TensorScope.Enter())
                using (TorchRuntime.NoGrad())
                    p.View(-1).Narrow(0, j, 1).Add_(delta);
                return Loss(sae, x, step);
            }
            var plus = Shifted(eps);
            var minus = Shifted(-2 * eps);
            Shifted(eps);
            var numeric = (plus - minus) / (2 * eps);
            Assert.True(Math.Abs(numeric - analytic[j]) <= tol * Math.Max(1, Math.Abs(numeric)),
                $"d loss / d {name}[{j}]: finite differences {numeric:R}, autograd {analytic[j]:R}");
        }
    }

    /// <summary><see cref="Tensor.LiveCount"/> once finalizers have run.</summary>
    public static long SettledLiveCount()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.LiveCount;
    }
}
