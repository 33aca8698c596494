using Runner.Core.Sae;
using Runner.Core.Synthetic;
using Runner.Core.Training;
using Runner.Pipeline.Spec;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>From the validated spec records to Core's options: the one place the two vocabularies meet.</summary>
internal static class SpecMapping
{
    public static SaeOptions Sae(SaeSpec s, int dIn)
    {
        var defaults = new SaeOptions { DIn = dIn, DSae = 1 };
        return new SaeOptions
        {
            DIn = dIn,
            DSae = s.DictSize ?? (int)Math.Round((s.Expansion ?? 8) * dIn),
            Kind = s.Architecture switch
            {
                SaeArchitecture.Relu => SaeKind.Relu,
                SaeArchitecture.TopK => SaeKind.TopK,
                SaeArchitecture.BatchTopK => SaeKind.BatchTopK,
                SaeArchitecture.JumpRelu => SaeKind.JumpRelu,
                var other => throw new ArgumentOutOfRangeException(nameof(s), other, "unknown architecture"),
            },
            K = s.K ?? defaults.K,
            AuxK = s.AuxK,
            AuxKCoefficient = s.AuxKCoefficient ?? defaults.AuxKCoefficient,
            L1Coefficient = s.L1Coefficient ?? defaults.L1Coefficient,
            SparsityMode = s.SparsityMode is JumpReluSparsity.Step ? SparsityMode.Step : SparsityMode.Tanh,
            L0Coefficient = s.L0Coefficient ?? defaults.L0Coefficient,
            TanhScale = s.TanhScale ?? defaults.TanhScale,
            Bandwidth = s.Bandwidth ?? defaults.Bandwidth,
            InitThreshold = s.InitThreshold ?? defaults.InitThreshold,
            PreActCoefficient = s.PreActCoefficient ?? defaults.PreActCoefficient,
        };
    }

    public static TrainerOptions Trainer(ExperimentSpec spec, Device device) => new()
    {
        TotalTokens = spec.Sae.Tokens,
        BatchSize = spec.Sae.BatchSize,
        Lr = spec.Sae.Lr,
        Beta1 = spec.Sae.Beta1,
        Beta2 = spec.Sae.Beta2,
        LrDecayFraction = spec.Sae.LrDecayFraction,
        // λ warm-up: the April-2024 recipe's 5% for relu; Anthropic's January-2025 JumpReLU recipe
        // warms the sparsity coefficient up over the whole run; TopK has no coefficient to warm.
        SparsityWarmupFraction = spec.Sae.Architecture switch
        {
            SaeArchitecture.Relu => spec.Sae.L1WarmupFraction ?? 0.05,
            SaeArchitecture.JumpRelu => 1.0,
            _ => 0,
        },
        GradClip = spec.Sae.GradClip,
        DeadWindow = spec.Sae.DeadWindow,
        LogEvery = spec.Sae.LogEvery,
        CheckpointEvery = spec.Sae.CheckpointEvery,
        Precision = spec.Sae.Dtype == Precision.Bfloat16 ? DType.BFloat16 : DType.Float32,
        Normalize = spec.Sae.Normalize,
        Resample = spec.Sae.Resample is { Every: { } every } r ? new ResampleOptions
        {
            EverySteps = Math.Max(1, (every + spec.Sae.BatchSize - 1) / spec.Sae.BatchSize),
            StopFraction = r.Until,
            Dead = r.Dead,
            DuplicateCosine = r.Duplicates,
        } : null,
        Seed = (ulong)spec.Seed,
        Device = device,
    };

    /// <summary>data.activation_dtype as the shards' storage dtype.</summary>
    public static DType StorageDType(ActivationPrecision p) => p switch
    {
        ActivationPrecision.Float32 => DType.Float32,
        ActivationPrecision.Bfloat16 => DType.BFloat16,
        ActivationPrecision.Float16 => DType.Float16,
        _ => throw new ArgumentOutOfRangeException(nameof(p), p, "unknown activation dtype"),
    };

    public static SyntheticOptions Synthetic(SyntheticDataSpec s, long seed) => new()
    {
        Features = s.Features,
        DIn = s.DIn,
        Frequency = s.Frequency,
        Magnitude = s.Magnitude,
        Magnitudes = s.Magnitudes switch
        {
            SyntheticMagnitudes.Constant => MagnitudeDistribution.Constant,
            SyntheticMagnitudes.Exponential => MagnitudeDistribution.Exponential,
            _ => MagnitudeDistribution.Uniform,
        },
        FrequencyDecay = s.FrequencyDecay,
        Correlation = s.Correlation,
        Seed = (ulong)seed,
    };
}
