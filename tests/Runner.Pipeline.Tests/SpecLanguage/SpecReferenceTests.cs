using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

/// <summary>The documented reference table is the schema's (RUNNER_UPDATE_GOLDEN=1 regenerates it).</summary>
public sealed class SpecReferenceTests
{
    [Fact]
    public void The_reference_table_in_the_docs_is_generated_from_the_schema()
    {
        var doc = ReferenceDocument();
        var text = File.ReadAllText(doc);
        var begin = text.IndexOf(SpecReference.Begin, StringComparison.Ordinal);
        var end = text.IndexOf(SpecReference.End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"{doc} has no {SpecReference.Begin} … {SpecReference.End} block");

        var expected = text[..(begin + SpecReference.Begin.Length)] + "\n" + SpecReference.Table() + text[end..];
        if (Environment.GetEnvironmentVariable("RUNNER_UPDATE_GOLDEN") == "1") File.WriteAllText(doc, expected);
        else Assert.Equal(expected, text);
    }

    [Fact]
    public void Every_key_has_a_sentence_of_documentation()
    {
        foreach (var line in SpecReference.Table().Split('\n').Skip(2).Where(l => l.Length > 0))
        {
            var cells = line.Split(" | ");
            Assert.True(cells[^1].TrimEnd(' ', '|').EndsWith('.'), line);
        }
    }

    [Fact]
    public void Every_key_of_the_resolved_spec_is_in_the_table()
    {
        var table = SpecReference.Table();
        var json = SpecText.Load("name: x\nsteer: { prompts: [p], clamps: [ { feature: 1, value: 2 } ] }\n").Points[0].Json;

        foreach (var path in Paths(json, ""))
            Assert.Contains($"| `{path}` |", table);
    }

    private static IEnumerable<string> Paths(System.Text.Json.Nodes.JsonNode? node, string prefix)
    {
        if (prefix.Length > 0) yield return prefix;
        if (node is System.Text.Json.Nodes.JsonObject o)
            foreach (var (k, v) in o)
                foreach (var p in Paths(v, prefix.Length == 0 ? k : $"{prefix}.{k}"))
                    yield return p;
        if (node is System.Text.Json.Nodes.JsonArray { Count: > 0 } a && a[0] is System.Text.Json.Nodes.JsonObject)
            foreach (var p in Paths(a[0], prefix + "[]").Skip(1))
                yield return p;
    }

    /// <summary>docs/spec-reference.md, or README.md once the reference moves there.</summary>
    private static string ReferenceDocument()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Runner.sln"))) dir = dir.Parent;
        Assert.NotNull(dir);
        var docs = Path.Combine(dir.FullName, "docs", "spec-reference.md");
        var readme = Path.Combine(dir.FullName, "README.md");
        return File.Exists(docs) && File.ReadAllText(docs).Contains(SpecReference.Begin) ? docs : readme;
    }
}
