using System.Globalization;
using System.Text.RegularExpressions;

namespace Runner.Pipeline.Spec;

/// <summary>
/// Types plain scalars as YAML 1.2's core schema does (null, true/false, integers, floats incl.
/// <c>.inf</c>/<c>.nan</c>), also accepting digit groups with underscores (<c>1_000_000</c>).
/// Everything else is a string; <c>yes</c>/<c>no</c>/<c>on</c>/<c>off</c> are strings, as in YAML 1.2.
/// </summary>
internal static partial class ScalarParser
{
    [GeneratedRegex(@"^[-+]?[0-9]+(?:_[0-9]+)*$")]
    private static partial Regex IntPattern();

    [GeneratedRegex(@"^[-+]?(?<int>[0-9]+(?:_[0-9]+)*)?(?:\.(?<frac>[0-9]+(?:_[0-9]+)*)?)?(?:[eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();

    public static ScalarValue Parse(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return new ScalarValue(ScalarKind.Null);
            case "true" or "True" or "TRUE":
                return new ScalarValue(ScalarKind.Bool, Bool: true);
            case "false" or "False" or "FALSE":
                return new ScalarValue(ScalarKind.Bool, Bool: false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return new ScalarValue(ScalarKind.Float, Float: double.PositiveInfinity);
            case "-.inf" or "-.Inf" or "-.INF":
                return new ScalarValue(ScalarKind.Float, Float: double.NegativeInfinity);
            case ".nan" or ".NaN" or ".NAN":
                return new ScalarValue(ScalarKind.Float, Float: double.NaN);
        }
        if (text.Length > 64) return new ScalarValue(ScalarKind.String);
        if (IntPattern().IsMatch(text))
        {
            var digits = text.Replace("_", "");
            if (long.TryParse(digits, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                return new ScalarValue(ScalarKind.Int, Int: l);
            return new ScalarValue(ScalarKind.Float, Float: double.Parse(digits, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        var m = FloatPattern().Match(text);
        if (m.Success && (m.Groups["int"].Success || m.Groups["frac"].Success) && text.AsSpan().IndexOfAny(".eE") >= 0)
            return new ScalarValue(ScalarKind.Float, Float: double.Parse(text.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture));
        return new ScalarValue(ScalarKind.String);
    }
}
