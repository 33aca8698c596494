namespace Runner.Core.Benchmarks;

/// <summary>
/// This machine's measured speeds, as two-term per-token cost models fitted by <see cref="MachineCalibrator"/>:
/// <list type="bullet">
/// <item>a model forward pass over a batch of N tokens costs <c>N · flops / (ForwardGflops·1e9) + ForwardSecondsPerLayer · layers</c>
/// seconds, plus <c>N · layers · ForwardSecondsPerElement · elementwise values per layer</c> (the matmuls, the elementwise work, and a fixed cost per layer and batch: kernel
/// launches, allocation, what dominates small models and token-by-token generation);</item>
/// <item>an SAE training step of B rows costs <c>SaeSecondsPerStep + B · 12·d_in·d_sae / (SaeGflops·1e9)</c> seconds
/// (a fixed per-step cost — optimizer, kernel launches, batch assembly — plus the matmuls).</item>
/// </list>
/// </summary>
public sealed record CalibrationFigures
{
    /// <summary>Effective GFLOP/s of the matmuls of a float32 forward pass.</summary>
    public required double ForwardGflops { get; init; }

    /// <summary>Seconds per value of elementwise work per token and layer (see <see cref="MachineCalibrator.ElementwisePerLayer"/>): what dominates narrow models.</summary>
    public double ForwardSecondsPerElement { get; init; }

    /// <summary>Fixed seconds per layer of one forward pass over a batch, whatever its size.</summary>
    public required double ForwardSecondsPerLayer { get; init; }

    /// <summary>Effective GFLOP/s of float32 SAE training with the dense count 12·d_in·d_sae per row.</summary>
    public required double SaeGflops { get; init; }

    /// <summary>Fixed seconds of an SAE training step, whatever its size.</summary>
    public required double SaeSecondsPerStep { get; init; }

    /// <summary>bfloat16 matmul rate over float32's (at least 1, at most 4): how much faster bf16 models and autocast SAEs run.</summary>
    public required double Bf16Speedup { get; init; }

    /// <summary>Resident memory of the process with the runtime and libtorch loaded, before any model.</summary>
    public required long BaseRssBytes { get; init; }

    /// <summary>Intra-op threads during the measurement.</summary>
    public required int Threads { get; init; }

    /// <summary>Seconds the measurement took.</summary>
    public double MeasuredSeconds { get; init; }
}
