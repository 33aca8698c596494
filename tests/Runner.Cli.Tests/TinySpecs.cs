namespace Runner.Cli.Tests;

/// <summary>Specs several test classes run with the real stages.</summary>
internal static class TinySpecs
{
    /// <summary>A TopK SAE on 24 planted features in 16 dimensions: every stage in a few seconds.</summary>
    public const string Synthetic = """
        name: tiny-synthetic
        seed: 3
        device: cpu
        data:
          synthetic: { features: 24, d_in: 16, frequency: 0.05 }
          tokens: 20_000
        sae: { architecture: topk, dict_size: 64, k: 4, lr: 3e-3, batch_size: 256, tokens: 60_000 }
        evaluate: { tokens: 4_000 }

        """;
}
