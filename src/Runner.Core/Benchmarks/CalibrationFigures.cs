namespace Runner.Core.Benchmarks;

/// <summary>
/// This machine's measured speeds, as two-term per-token cost models fitted by <see cref="MachineCalibrator"/>:
/// <list type="bullet">
/// <item>a model forward pass costs <c>flops / (ForwardGflops·1e9) + ForwardSecondsPerLayerWidth · layers · d_model</c> seconds per token
/// (matmuls plus the width-proportional elementwise work that dominates small models);</item>
/// <item>an SAE training step of B rows costs <c>SaeSecondsPerStep + B · 12·d_in·d_sae / (SaeGflops·1e9)</c> seconds
/// (a fixed per-step cost — optimizer, kernel launches, batch assembly — plus the matmuls).</item>
/// </list>
/// </summary>
public sealed record CalibrationFigures
{
    /// <summary>Effective GFLOP/s of the matmuls of a float32 forward pass.</summary>
    public required double ForwardGflops { get; init; }

    /// <summary>Seconds per token per (layer × d_model) unit of elementwise work in a forward pass.</summary>
    public required double ForwardSecondsPerLayerWidth { get; init; }

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
