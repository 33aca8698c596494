using Runner.Core.Metrics;
using Runner.Pipeline.Metrics;
using Runner.Pipeline.Tracking;

namespace Runner.Pipeline.Tests.Metrics;

public sealed class MetricCatalogTests
{
    // The names the stages build from code (Scalars() of the evaluator and topic matching), and the ones they write by
    // hand (pretrain, capture, train and its stream figures, steering per setting, hook scripts).
    private static IEnumerable<string> StageMetricNames()
    {
        var metrics = new SaeMetrics
        {
            Tokens = 1, Mse = 0, NormalizedMse = 0, ExplainedVariance = 1, ExplainedVarianceLegacy = 1, Fvu = 0, CosineSimilarity = 1,
            L0 = 1, L1 = 1, L2Ratio = 1, RelativeReconstructionBias = 1, DeadFraction = 0, DenseFraction = 0, FreqOver1Percent = 0,
            MeanLog10Density = 0, MeanMaxDecoderCosine = 0, Density = [1], MaxActivation = [1], MeanActivationWhenActive = [1],
            MeanActivation = [1], MaxDecoderCosine = [0.5], DensityHistogram = DensityHistogram.Of([1.0]),
        };
        foreach (var name in metrics.Scalars().Keys) yield return "evaluate." + name;
        var feature = new FeatureMatch { Feature = 3, Fires = 10, Hits = 9, Precision = 0.9, Recall = 0.5 };
        var raw = new RawDirectionMatch { Direction = 1, Sign = 1, Tokens = 10, Hits = 5, Precision = 0.5, Recall = 0.3 };
        var topics = new TopicMatchingResult
        {
            Threshold = 0.9, MinDensity = 0.001, Tokens = 100,
            Topics = [new TopicMatch { Topic = 0, Tokens = 18, Best = feature, BestF1 = feature, Auto = feature, Matching = [feature], Raw = raw, RawAtBestF1 = raw }],
        };
        foreach (var name in topics.Scalars(["bridge"]).Keys) yield return "evaluate." + name;
        foreach (var name in new[] { "ce_loss_clean", "ce_loss_spliced", "ce_loss_zero_ablated", "ce_loss_delta", "kl_spliced", "kl_zero_ablated", "ce_tokens", "ce_loss_recovered", "kl_score", "mmcs", "mcc" })
            yield return "evaluate." + name;
        foreach (var name in new[] { "train_loss", "eval_loss", "unigram_loss", "bigram_loss", "tokens_per_second", "seconds", "steps", "tokens", "corpus_tokens", "parameters", "vocab_size" })
            yield return "pretrain." + name;
        foreach (var name in new[] { "rows", "eval_rows", "d_in", "true_features", "true_l0", "model_layers", "tokens_per_second" })
            yield return "capture." + name;
        foreach (var name in new[] { "steps", "tokens", "d_sae", "input_scale", "dead_fraction", "loss", "mse", "l0", "passes", "stream_members", "model_seconds", "sae_seconds", "wait_seconds", "stream_seconds", "tokens_per_second" })
            yield return "train." + name;
        foreach (var setting in new[] { "baseline", "baseline_on_topic", "bridge_x2", "bridge_x0.5", "bridge_x-2_on_topic", "random_x2_2", "ablate_bridge", "f12_eq0", "my.label.with.dots" })
            foreach (var name in new[] { "mean_logprob", "topic_fraction", "other_topic_fraction", "fluency" })
                yield return $"steer.{setting}.{name}";
        yield return "hooks.top-tokens.features";
        yield return "hooks.neighborhoods.12.mean_cosine";
        yield return "hooks_after_train.probe.dead";
        yield return "hooks_after_evaluate.probe.a.b.c";
        yield return "hooks_after_steer.probe.x";
    }

    [Fact]
    public void Every_metric_name_the_stages_write_has_exactly_one_definition()
    {
        foreach (var name in StageMetricNames())
        {
            var covering = MetricCatalog.All.Where(d => MetricCatalog.Matches(d.Pattern, name)).Select(d => d.Id).ToList();
            Assert.True(covering.Count == 1, $"{name}: covered by {covering.Count} definitions ({string.Join(", ", covering)})");
            Assert.Equal(covering[0], MetricCatalog.Find(name)!.Id);
        }
    }

    [Fact]
    public void Ids_are_unique_and_valid_MLflow_tag_keys_and_every_pattern_is_its_own()
    {
        Assert.Equal(MetricCatalog.All.Count, MetricCatalog.All.Select(d => d.Id).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(MetricCatalog.All.Count, MetricCatalog.All.Select(d => d.Pattern).Distinct(StringComparer.Ordinal).Count());
        foreach (var d in MetricCatalog.All)
        {
            Assert.True(MetricCatalog.IsValidId(d.Id), d.Id);
            var tag = MetricCatalog.TagPrefix + d.Id;
            Assert.Equal(tag, MlflowKeys.Sanitize(tag));   // unchanged by MLflow's key rules, within 250 characters
            Assert.Same(d, MetricCatalog.FindById(d.Id));
            Assert.True(d.Version >= 1, d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.Formula), d.Id);
            Assert.False(string.IsNullOrWhiteSpace(d.Convention), d.Id);
            // History, when there is one, is in order and ends at the current version.
            if (d.History.Count > 0) Assert.Equal(d.Version, d.History[^1].Version);
            Assert.Equal(d.History.OrderBy(c => c.Version).Select(c => c.Version), d.History.Select(c => c.Version));
        }
    }

    [Fact]
    public void Speeds_durations_and_feature_indices_are_not_comparable_and_everything_else_is()
    {
        Assert.False(MetricCatalog.Find("evaluate.topic.bridge.auto_feature")!.Comparable);
        Assert.False(MetricCatalog.Find("pretrain.seconds")!.Comparable);
        Assert.False(MetricCatalog.Find("train.tokens_per_second")!.Comparable);
        Assert.True(MetricCatalog.Find("evaluate.fvu")!.Comparable);
        Assert.Equal(MetricKind.Score, MetricCatalog.Find("evaluate.fvu")!.Kind);
        Assert.Equal(MetricDirection.LowerIsBetter, MetricCatalog.Find("evaluate.fvu")!.Direction);
        Assert.Equal(MetricKind.Fraction, MetricCatalog.Find("steer.bridge_x2.topic_fraction")!.Kind);
        Assert.Equal(MetricKind.Count, MetricCatalog.Find("evaluate.topics_recovered")!.Kind);
    }

    [Fact]
    public void Names_no_definition_covers_find_nothing()
    {
        Assert.Null(MetricCatalog.Find("train.value"));              // a test stage's metric
        Assert.Null(MetricCatalog.Find("evaluate.no_such_metric"));
        Assert.Null(MetricCatalog.Find("evaluate.topic.two.parts.precision"));   // <topic> is one segment
        Assert.Null(MetricCatalog.Find("steer.topic_fraction"));     // a setting is needed
        Assert.Null(MetricCatalog.Find("hooks.script"));             // a script and a name are needed
        Assert.Empty(MetricCatalog.VersionsFor(["train.value", "capture.value"]));
        Assert.Equal(new Dictionary<string, int> { ["evaluate.fvu"] = 1, ["steer.fluency"] = 1 },
            MetricCatalog.VersionsFor(["steer.a.fluency", "evaluate.fvu", "steer.b.fluency", "train.value"]));
    }

    [Fact]
    public void Patterns_take_one_segment_for_a_name_one_or_more_for_a_dotted_name_and_globs_within_a_segment()
    {
        Assert.True(MetricCatalog.Matches("a.<x>.c", "a.b.c"));
        Assert.False(MetricCatalog.Matches("a.<x>.c", "a.b.b.c"));
        Assert.False(MetricCatalog.Matches("a.<x>.c", "a..c"));
        Assert.True(MetricCatalog.Matches("a.<x...>.c", "a.b.b.c"));
        Assert.True(MetricCatalog.Matches("a.<x...>.c", "a.b.c"));
        Assert.False(MetricCatalog.Matches("a.<x...>.c", "a.c"));
        Assert.True(MetricCatalog.Matches("a.<x...>.c", "a.c.c"));
        Assert.True(MetricCatalog.Matches("h*.<s>.<n...>", "hooks_after_train.s.n"));
        Assert.False(MetricCatalog.Matches("h*.<s>.<n...>", "evaluate.s.n"));
        Assert.Equal(["steer", "<setting...>", "fluency"], MetricCatalog.Segments("steer.<setting...>.fluency"));
    }

    [Fact]
    public void A_changed_definition_is_described_with_what_changed_and_a_newer_record_says_so()
    {
        var d = new MetricDefinition
        {
            Id = "evaluate.fvu", Pattern = "evaluate.fvu", Formula = "f", Convention = "c", Kind = MetricKind.Score, Version = 3,
            History = [new MetricChange(2, "0.2.0", "per-token mean"), new MetricChange(3, "0.3.0", "dataset-mean baseline")],
        };
        Assert.Equal("definition changed: v2 → v3 (v3, since 0.3.0: dataset-mean baseline)", MetricCatalog.DescribeChange(d, 2));
        Assert.Equal("definition changed: v1 → v3 (v2, since 0.2.0: per-token mean; v3, since 0.3.0: dataset-mean baseline)", MetricCatalog.DescribeChange(d, 1));
        Assert.Equal("definition changed: v4 → v3 (recorded by a newer Runner; this one knows evaluate.fvu up to v3)", MetricCatalog.DescribeChange(d, 4));
        Assert.Equal("definition unchanged: v3", MetricCatalog.DescribeChange(d, 3));
        Assert.Equal("definition changed: v1 → v2 (no record of what changed)", MetricCatalog.DescribeChange(d with { Version = 2, History = [] }, 1));
    }
}
