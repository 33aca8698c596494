using System.Globalization;
using System.Text.Json.Nodes;

namespace Runner.Cli.GpuCheck;

/// <summary>One metric of the CPU-vs-CUDA agreement run.</summary>
public sealed record MetricAgreement(string Name, double Cpu, double Cuda, double Difference, double Tolerance)
{
    /// <summary>True when the two values are within the tolerance (both NaN agrees).</summary>
    public bool Agrees => (double.IsNaN(Cpu) && double.IsNaN(Cuda)) || Difference <= Tolerance;
}

/// <summary>
/// golden-gate-mini's SAE trained and evaluated on the CPU and on CUDA from the same inputs: the toy LM is
/// pretrained once on the CPU, then a spec that loads it as a Hugging Face checkpoint runs capture, train
/// and evaluate on each device, and every final metric is compared.
/// </summary>
public static class Agreement
{
    /// <summary>Relative part of the CPU-vs-CUDA tolerance: a metric agrees when |cpu − cuda| ≤ max(rel·max(|cpu|, |cuda|), abs).</summary>
    public const double RelativeTolerance = 0.02;

    /// <summary>Absolute floor of the CPU-vs-CUDA tolerance.</summary>
    public const double AbsoluteTolerance = 0.005;

    /// <summary>
    /// Absolute tolerance of the metrics that count latents across a threshold (dead, dense, firing on over
    /// 1% of tokens): a few of golden-gate-mini's 512 latents sit at the threshold, and training on another
    /// device moves them (8 of 512 for freq_over_1_percent on the first H200 run).
    /// </summary>
    public const double LatentFractionTolerance = 0.02;

    /// <summary>True for the fractions of latents past a threshold (<see cref="LatentFractionTolerance"/>).</summary>
    public static bool IsLatentFraction(string metric) =>
        metric.EndsWith("dead_fraction", StringComparison.Ordinal) || metric.EndsWith("dense_fraction", StringComparison.Ordinal) || metric.EndsWith("freq_over_1_percent", StringComparison.Ordinal);

    /// <summary>The experiment's name (and run folder) of the agreement spec.</summary>
    public const string Name = "gpu-check-agreement";

    /// <summary>Overrides that keep golden-gate-mini to its SAE stages: no steering, no hooks, no tracking.</summary>
    public static readonly string[] Trim = ["steer=null", "hooks=null", "tracking=none"];

    /// <summary>Overrides of a quick check (CPU machines, tests): a shorter pretrain and fewer tokens.</summary>
    public static readonly string[] Quick = ["model.toy.steps=200", "data.tokens=32768", "sae.tokens=131072", "evaluate.tokens=8192"];

    /// <summary>Metrics that measure time, not results: shown nowhere in the comparison.</summary>
    public static bool IsTiming(string metric) =>
        metric.Contains("second", StringComparison.Ordinal) || metric.Contains("per_s", StringComparison.Ordinal) || metric.EndsWith("_ms", StringComparison.Ordinal);

    /// <summary>Compares two metrics.json objects on the metrics both have (timing metrics left out), in name order.</summary>
    public static IReadOnlyList<MetricAgreement> Compare(JsonObject cpu, JsonObject cuda)
    {
        var rows = new List<MetricAgreement>();
        foreach (var (name, node) in cpu.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (IsTiming(name) || !cuda.TryGetPropertyValue(name, out var other)) continue;
            if (Number(node) is not { } a || Number(other) is not { } b) continue;
            var tolerance = IsLatentFraction(name) ? LatentFractionTolerance : Math.Max(RelativeTolerance * Math.Max(Math.Abs(a), Math.Abs(b)), AbsoluteTolerance);
            rows.Add(new MetricAgreement(name, a, b, Math.Abs(a - b), tolerance));
        }
        return rows;
    }

    private static double? Number(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        JsonValue v when v.TryGetValue<string>(out var s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };

    /// <summary>The spec the two devices run: golden-gate-mini with the CPU-pretrained model loaded as a checkpoint.</summary>
    public static string Spec(string goldenGateMini, string modelDirectory) =>
        $"""
        # gpu-check: golden-gate-mini's SAE stages on a model pretrained once on the CPU, run on each device.
        include: ["{goldenGateMini}"]
        name: {Name}
        model: {"{"} source: hf, path: "{modelDirectory}", toy: null {"}"}
        steer: null
        hooks: null
        tracking: none

        """;

    /// <summary>Reads a finished run's metrics.json: its metric values (either form of the file).</summary>
    public static JsonObject Metrics(string runDirectory) =>
        Pipeline.Runs.MetricsDocument.Values(JsonNode.Parse(File.ReadAllText(Path.Combine(runDirectory, Pipeline.Runs.RunFolder.MetricsFile))));
}
