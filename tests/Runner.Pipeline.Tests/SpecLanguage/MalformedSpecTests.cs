using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

/// <summary>
/// The malformed-spec corpus: each file in Specs/Malformed carries its exact expected errors in
/// leading <c># expect:</c> lines (and its overrides and environment in <c># set:</c> / <c># env:</c> lines).
/// </summary>
public sealed class MalformedSpecTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Specs", "Malformed");

    public static TheoryData<string> Cases() =>
        new(Directory.GetFiles(Folder, "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_spec_reports_exactly_its_expected_errors_with_positions(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(Folder, file));
        var expected = Header(lines, "expect").ToList();
        var env = Header(lines, "env").Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

        var result = SpecLoader.TryLoad(file, SpecText.Options(Header(lines, "set").ToList(), env, Folder));

        Assert.NotEmpty(expected);
        Assert.Null(result.Experiment);
        Assert.Equal(expected, result.Errors.Select(e => e.ToString()));
    }

    [Fact]
    public void The_corpus_holds_at_least_30_malformed_specs()
    {
        Assert.True(Cases().Count >= 30, $"only {Cases().Count} malformed specs");
    }

    [Fact]
    public void Loading_a_malformed_spec_throws_a_spec_exception_with_every_error_and_exit_code_2()
    {
        var e = Assert.Throws<SpecException>(() => SpecLoader.Load("several-errors.yaml", SpecText.Options([], null, Folder)));

        Assert.Equal(2, e.ExitCode);
        Assert.Equal(5, e.Errors.Count);
        Assert.Equal(string.Join('\n', e.Errors), e.Message);
        Assert.StartsWith("several-errors.yaml:8:7: seed: expected an integer, got \"x\"\n", e.Message);
    }

    [Fact]
    public void Errors_carry_file_line_column_and_key_path_separately()
    {
        var error = Assert.Single(SpecLoader.TryLoad("number-out-of-range.yaml", SpecText.Options([], null, Folder)).Errors);

        Assert.Equal(("number-out-of-range.yaml", 5, 7, "sae.lr", "must be > 0, got -1"), (error.File, error.Line, error.Column, error.KeyPath, error.Message));
        Assert.Equal("number-out-of-range.yaml:5:7", error.Location);
    }

    private static IEnumerable<string> Header(string[] lines, string tag) =>
        lines.Where(l => l.StartsWith($"# {tag}: ", StringComparison.Ordinal)).Select(l => l[(tag.Length + 4)..]);
}
