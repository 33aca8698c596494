using static Runner.Pipeline.Metrics.MetricDirection;
using static Runner.Pipeline.Metrics.MetricKind;

namespace Runner.Pipeline.Metrics;

// steer (SteerStage, TopicGenerationStats) and what hook scripts log.
public static partial class MetricCatalog
{
    // <setting...>: a steering label (baseline, bridge_x2, random_x2, ablate_bridge, a clamp's label) may hold dots (bridge_x0.5).
    private const string Generated =
        "summed over every sample of every prompt of the setting, divided at the end; generated tokens only (the prompt excluded)";

    private static IEnumerable<MetricDefinition> Steer() =>
    [
        D("steer.<setting...>.mean_logprob", Loss, TwoSided,
            "Σ log p(token) / #generated tokens",
            "nats; p under the (steered) model's own distribution at that step: log_softmax of the raw logits (temperature 1, no top-k/top-p), whatever the sampling used; " + Generated),
        D("steer.<setting...>.topic_fraction", Fraction, TwoSided,
            "#generated tokens that are words of steer.topic / #generated tokens",
            "planted topics only; the denominator is every generated token (function words, punctuation, <doc> included); each word of a phrase counts; " + Generated),
        D("steer.<setting...>.other_topic_fraction", Fraction, TwoSided,
            "#generated tokens that are words of any other topic / #generated tokens",
            "as topic_fraction"),
        D("steer.<setting...>.fluency", Fraction, HigherIsBetter,
            "#grammatical sentences / #complete sentences judged; 0 when none is complete",
            "planted grammar; prompt + generation parsed from the prompt's start; judged: sentences that end inside the generation (one the prompt completed, or one cut off by the end, is not); " + Generated),
    ];

    private static IEnumerable<MetricDefinition> HookScripts() =>
    [
        D("hooks*.<script>.<name...>", Loss, TwoSided,
            "what the script passes to ctx.LogMetric(name, value)",
            "defined by the hook script (<stage>.<script file name>.<name>, stage hooks or hooks_after_train/evaluate/steer); Runner does not know its scale, so it is treated as an unbounded quantity (band floor 1% of |mean|); its version is 1 for every script: a script's own changes are not tracked",
            id: "hooks.metric"),
    ];
}
