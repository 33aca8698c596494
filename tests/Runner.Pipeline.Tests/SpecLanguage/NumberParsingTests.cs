using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Tests.SpecLanguage;

public sealed class NumberParsingTests
{
    [Theory]
    [InlineData("1_000_000", 1_000_000L)]
    [InlineData("+32", 32L)]
    [InlineData("-7", -7L)]
    [InlineData("0", 0L)]
    public void Integers_accept_digit_groups_and_signs(string text, long value)
    {
        Assert.Equal(new ScalarValue(ScalarKind.Int, Int: value), ScalarParser.Parse(text));
    }

    [Theory]
    [InlineData("1e6", 1e6)]
    [InlineData("2e-4", 2e-4)]
    [InlineData("2E+3", 2e3)]
    [InlineData(".5", 0.5)]
    [InlineData("5.", 5.0)]
    [InlineData("1_000.5", 1000.5)]
    [InlineData("-1.5e-3", -1.5e-3)]
    public void Floats_accept_exponents_and_digit_groups(string text, double value)
    {
        Assert.Equal(new ScalarValue(ScalarKind.Float, Float: value), ScalarParser.Parse(text));
    }

    [Theory]
    [InlineData("1__0")]
    [InlineData("_1")]
    [InlineData("1_")]
    [InlineData("0x10")]
    [InlineData("e5")]
    [InlineData(".")]
    [InlineData("1e")]
    [InlineData("yes")]
    [InlineData("off")]
    [InlineData("1.2.3")]
    public void Everything_else_is_a_string(string text)
    {
        Assert.Equal(ScalarKind.String, ScalarParser.Parse(text).Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("~")]
    [InlineData("null")]
    [InlineData("NULL")]
    public void Null_has_the_yaml_core_spellings(string text)
    {
        Assert.Equal(ScalarKind.Null, ScalarParser.Parse(text).Kind);
    }

    [Fact]
    public void Integer_keys_take_integral_floats_and_real_keys_take_integers()
    {
        var sae = SpecText.Load("name: n\nsae: { tokens: 1e6, batch_size: 4_096, k: 32.0, lr: 1, dead_window: 1.5e7 }\n").Points[0].Spec.Sae;

        Assert.Equal((1_000_000L, 4096, 32, 1.0, 15_000_000L), (sae.Tokens, sae.BatchSize, sae.K!.Value, sae.Lr, sae.DeadWindow));
    }

    [Fact]
    public void Integers_too_large_for_the_key_are_out_of_range()
    {
        Assert.Equal(["spec.yaml:2:11: sae.k: must be <= 2147483647, got 1e12"], SpecText.Errors("name: n\nsae: { k: 1e12 }\n"));
    }
}
