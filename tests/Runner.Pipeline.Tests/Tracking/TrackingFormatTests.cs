using Runner.Pipeline.Tracking;

namespace Runner.Pipeline.Tests.Tracking;

public sealed class TrackingFormatTests
{
    [Theory]
    [InlineData(0.5, "0.5")]
    [InlineData(8.0, "8.0")]
    [InlineData(1e-5, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(-2.5e-300, "-2.5e-300")]
    [InlineData(31.823801040649414, "31.823801040649414")]
    [InlineData(double.NaN, "nan")]
    [InlineData(double.PositiveInfinity, "inf")]
    [InlineData(double.NegativeInfinity, "-inf")]
    [InlineData(0.0, "0.0")]
    [InlineData(123456.0, "123456.0")]
    public void Metric_values_are_written_as_Python_repr_writes_them(double value, string expected)
    {
        Assert.Equal(expected, PythonFloat.Format(value));
        Assert.True(PythonFloat.TryParse(expected, out var back));
        Assert.Equal(value, back);
    }

    [Fact]
    public void Python_spellings_of_special_values_parse()
    {
        foreach (var (text, value) in new[] { ("nan", double.NaN), ("NaN", double.NaN), ("inf", double.PositiveInfinity), ("-Infinity", double.NegativeInfinity), ("1E-05", 1e-5) })
        {
            Assert.True(PythonFloat.TryParse(text, out var v));
            Assert.Equal(value, v);
        }
        Assert.False(PythonFloat.TryParse("abc", out _));
    }

    [Fact]
    public void The_resolved_spec_flattens_to_dotted_params_with_lists_as_JSON()
    {
        var yaml = "# header\nname: x\nsae:\n  k: 8\n  aux_k: null\n  lr: 0.001\nsteer:\n  prompts: [\"the\", 'we \"went\"']\n  clamps:\n    - { feature: 12, value: 1.5 }\n  generate: {}\nflag: true\n";
        Assert.Equal(
        [
            new("name", "x"), new("sae.k", "8"), new("sae.aux_k", "null"), new("sae.lr", "0.001"),
            new("steer.prompts", "[\"the\",\"we \\\"went\\\"\"]"), new("steer.clamps", "[{\"feature\":12,\"value\":1.5}]"),
            new("steer.generate", "{}"), new KeyValuePair<string, string>("flag", "true"),
        ], SpecParams.Flatten(yaml));
    }

    [Fact]
    public void Keys_are_made_valid_MLflow_names_and_long_values_are_cut_with_a_note()
    {
        Assert.Equal("a_b/c_d", MlflowKeys.Sanitize("a*b//c|d"));
        Assert.Equal("_/x", MlflowKeys.Sanitize("../x"));
        Assert.Equal(250, MlflowKeys.Sanitize(new string('k', 300)).Length);
        var cut = MlflowKeys.Truncate(new string('v', 7000), 6000, "see artifact");
        Assert.Equal(6000, cut.Length);
        Assert.EndsWith("… [7000 characters; see artifact]", cut, StringComparison.Ordinal);
    }

    [Fact]
    public void YAML_strings_are_quoted_only_where_PyYAML_would_read_them_as_something_else()
    {
        Assert.Equal("golden-gate-mini", MlflowFileStore.Str("golden-gate-mini"));
        Assert.Equal("'0'", MlflowFileStore.Str("0"));
        Assert.Equal("'543890733378314292'", MlflowFileStore.Str("543890733378314292"));
        Assert.Equal("'true'", MlflowFileStore.Str("true"));
        Assert.Equal("''", MlflowFileStore.Str(""));
        Assert.Equal("'k: 8'", MlflowFileStore.Str("k: 8"));
        Assert.Equal("'it''s'", MlflowFileStore.Str("it's"));
        Assert.Equal("file:///home/u/mlruns/1", MlflowFileStore.Str("file:///home/u/mlruns/1"));
        Assert.Equal("3def307eb9cf41f79038cb721027b0ba", MlflowFileStore.Str("3def307eb9cf41f79038cb721027b0ba"));
        Assert.Equal("1e10", MlflowFileStore.Str("1e10")); // PyYAML 1.1 floats need a dot
        Assert.Equal("'1.5e+10'", MlflowFileStore.Str("1.5e+10"));
        Assert.Equal("'2026-01-02'", MlflowFileStore.Str("2026-01-02"));
        Assert.Equal("'no'", MlflowFileStore.Str("no"));
        Assert.Equal("'0x1f'", MlflowFileStore.Str("0x1f"));
    }
}
