using Runner.Core.Models;
using Runner.Torch;

namespace Runner.Core.Tests.Models;

/// <summary>Tiny configs of every family, seeded ids and comparisons for the model tests.</summary>
internal static class ModelTestKit
{
    /// <summary>The fixture names the theories run over.</summary>
    public static TheoryData<string> Families => new(["gpt2", "gpt_neox", "gpt_neox_sequential", "llama_gqa", "qwen2_tied", "mistral_window"]);

    /// <summary>A tiny config (vocab 53, d 16, 2 layers) of fixture <paramref name="name"/>; a wide init so attention is far from uniform.</summary>
    public static ModelConfig Config(string name) => name switch
    {
        "gpt2" => ModelConfig.Create("gpt2", 53, 16, 2, 2, 32, dMlp: 24) with { InitializerRange = 0.2, BosTokenId = 52, EosTokenId = 52 },
        "gpt_neox" => ModelConfig.Create("gpt_neox", 53, 16, 2, 2, 64, dMlp: 32) with { RotaryFraction = 0.5, InitializerRange = 0.2 },
        "gpt_neox_sequential" => ModelConfig.Create("gpt_neox", 53, 16, 2, 2, 64, dMlp: 32) with { RotaryFraction = 0.25, ParallelResidual = false, InitializerRange = 0.2, Activation = "gelu_new" },
        "llama_gqa" => ModelConfig.Create("llama", 53, 16, 2, 4, 64, dMlp: 24, kvHeads: 2, headDim: 6) with { InitializerRange = 0.2, RopeTheta = 500 },
        "llama_yarn" => Config("llama_gqa") with { RopeScaling = new RopeScaling { Type = RopeScalingType.Yarn, Factor = 4, OriginalMaxPositions = 16 } },
        "llama3_scaled" => Config("llama_gqa") with { RopeScaling = new RopeScaling { Type = RopeScalingType.Llama3, Factor = 8, OriginalMaxPositions = 16, LowFreqFactor = 1, HighFreqFactor = 4 } },
        "qwen2_tied" => ModelConfig.Create("qwen2", 53, 16, 2, 2, 64, dMlp: 24) with { InitializerRange = 0.2, TieWordEmbeddings = true, RopeTheta = 1000 },
        "mistral_window" => ModelConfig.Create("mistral", 53, 16, 2, 4, 64, dMlp: 24, kvHeads: 1) with { InitializerRange = 0.2, SlidingWindow = 4 },
        _ => throw new ArgumentException(name),
    };

    /// <summary>A random model of fixture <paramref name="name"/> with every parameter (biases and norms too) perturbed, so no term is trivially zero or one.</summary>
    public static TransformerModel Model(string name, DType dtype = DType.Float32, ulong seed = 7, ModelConfig? config = null)
    {
        var model = TransformerModel.CreateRandom(config ?? Config(name), seed, Device.Cpu, dtype);
        using var scope = TensorScope.Enter();
        using var noGrad = TorchRuntime.NoGrad();
        using var g = new Generator(seed + 1);
        foreach (var (_, p) in model.Parameters)
            p.Copy_(p + (Tensors.Randn(p.Shape, g) * 0.1).To(p.DType));
        return model;
    }

    /// <summary>Seeded token ids [batch, tokens] below <paramref name="vocab"/>.</summary>
    public static Tensor Ids(long batch, long tokens, int vocab = 53, ulong seed = 3)
    {
        using var g = new Generator(seed);
        return Tensors.RandInt(0, vocab, [batch, tokens], g);
    }

    /// <summary>max |a - b| over every element (float64).</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = TensorScope.Enter();
        return (a.To(DType.Float64) - b.To(DType.Float64)).Abs().Max().ToDouble();
    }

    /// <summary>max |a|.</summary>
    public static double MaxAbs(Tensor a)
    {
        using var scope = TensorScope.Enter();
        return a.To(DType.Float64).Abs().Max().ToDouble();
    }

    /// <summary>A float32 tensor's elements as doubles.</summary>
    public static double[] Values(Tensor t)
    {
        using var scope = TensorScope.Enter();
        return [.. t.To(DType.Float32).Contiguous().ToArray<float>().Select(v => (double)v)];
    }
}
