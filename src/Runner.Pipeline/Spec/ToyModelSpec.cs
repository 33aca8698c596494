namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>model.toy</c> section: the small LM the <c>pretrain</c> stage trains.</summary>
public sealed record ToyModelSpec
{
    /// <summary>The corpus it is pretrained on.</summary>
    public DataCorpus Corpus { get; init; } = DataCorpus.PlantedTopics;

    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 1;

    /// <summary>Residual stream width.</summary>
    public int DModel { get; init; } = 64;

    /// <summary>Attention heads (must divide d_model).</summary>
    public int Heads { get; init; } = 4;

    /// <summary>MLP hidden width.</summary>
    public int DMlp { get; init; } = 256;

    /// <summary>Maximum sequence length (learned positions).</summary>
    public int Context { get; init; } = 64;

    /// <summary>Tokens of generated corpus to pretrain on.</summary>
    public long Tokens { get; init; } = 2_000_000;

    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 1500;

    /// <summary>Sequences per step.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>AdamW peak learning rate.</summary>
    public double Lr { get; init; } = 3e-3;

    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Linear learning-rate warm-up steps (then cosine decay).</summary>
    public int WarmupSteps { get; init; } = 50;
}
