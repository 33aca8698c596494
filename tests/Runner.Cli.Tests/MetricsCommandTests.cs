using System.Text.Json.Nodes;
using Runner.Cli.Commands;
using Runner.Pipeline.Metrics;

namespace Runner.Cli.Tests;

/// <summary><c>runner metrics</c> and docs/metrics.md, which is its Markdown output.</summary>
public sealed class MetricsCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string RepositoryFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate) && Directory.Exists(Path.Combine(dir.FullName, "src"))) return candidate;
        }
        throw new FileNotFoundException($"{relative} not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public void Docs_metrics_md_is_exactly_the_generated_markdown()
    {
        var committed = File.ReadAllText(RepositoryFile(Path.Combine("docs", "metrics.md")));
        var generated = MetricsCommand.Markdown(MetricCatalog.All);
        Assert.True(committed == generated, $"docs/metrics.md is not what the catalog generates: run `{MetricsCommand.Regenerate}` and commit it");
        Assert.StartsWith($"<!-- Generated from src/Runner.Pipeline/Metrics/MetricCatalog*.cs: regenerate with `{MetricsCommand.Regenerate}`", committed);
    }

    [Fact]
    public void The_markdown_option_prints_the_table_every_definition_is_a_row_of()
    {
        Assert.Equal(0, _cli.Run("metrics", "--markdown"));
        Assert.Equal(MetricsCommand.Markdown(MetricCatalog.All), _cli.Out.ReplaceLineEndings("\n"));
        foreach (var d in MetricCatalog.All) Assert.Contains($"| {d.Id.Replace("*", "\\*")} | `{d.Pattern}` |", _cli.Out);
        Assert.Contains("| loss | 1% of \\|mean\\| |", _cli.Out);
        Assert.Contains("| identifier | never compared |", _cli.Out);
    }

    [Fact]
    public void The_json_option_lists_every_definition_with_kind_direction_and_version()
    {
        Assert.Equal(0, _cli.Run("metrics", "--json"));
        var doc = JsonNode.Parse(_cli.Out)!;
        Assert.Equal("runner-metric-definitions", (string?)doc["format"]);
        var list = doc["definitions"]!.AsArray();
        Assert.Equal(MetricCatalog.All.Select(d => d.Id), list.Select(d => (string)d!["id"]!));
        var fvu = list.Single(d => (string?)d!["id"] == "evaluate.fvu")!;
        Assert.Equal("score", (string?)fvu["kind"]);
        Assert.Equal("lower_is_better", (string?)fvu["direction"]);
        Assert.Equal(1, (int)fvu["version"]!);
        Assert.False((bool)list.Single(d => (string?)d!["id"] == "evaluate.topic.auto_feature")!["comparable"]!);
    }

    [Fact]
    public void A_metric_name_shows_the_one_definition_that_covers_it_and_an_unknown_name_is_a_usage_error()
    {
        Assert.Equal(0, _cli.Run("metrics"));
        foreach (var d in MetricCatalog.All) Assert.Contains($"{d.Id}  v{d.Version} (since {d.Since})", _cli.Out);

        Assert.Equal(0, _cli.Run("metrics", "steer.bridge_x0.5.topic_fraction"));
        Assert.StartsWith("steer.topic_fraction  v1 (since 0.1.0)  fraction, better either way", _cli.Out);
        Assert.Contains("names:      steer.<setting...>.topic_fraction", _cli.Out);
        Assert.Contains("every generated token", _cli.Out);

        Assert.Equal(0, _cli.Run("metrics", "hooks_after_train.neighborhoods.dead.count"));
        Assert.Contains("defined by the hook script", _cli.Out);

        Assert.Equal(2, _cli.Run("metrics", "evaluate.no_such_metric"));
        Assert.Contains("no metric definition covers 'evaluate.no_such_metric'", _cli.Error);
        Assert.Equal(2, _cli.Run("metrics", "--markdown", "--json"));
        Assert.Contains("give at most one of --markdown and --json", _cli.Error);
    }
}
