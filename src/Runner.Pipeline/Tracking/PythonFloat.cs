using System.Globalization;

namespace Runner.Pipeline.Tracking;

/// <summary>
/// Numbers as Python's <c>repr(float)</c> writes them (<c>0.5</c>, <c>8.0</c>, <c>1e-05</c>, <c>nan</c>,
/// <c>inf</c>), so metric files look exactly like the ones MLflow writes; and the reverse parse, which
/// also accepts <c>NaN</c>, <c>Infinity</c> and the other spellings Python's <c>float()</c> reads.
/// </summary>
public static class PythonFloat
{
    /// <summary>The shortest round-trip text of <paramref name="value"/> in Python's repr format.</summary>
    public static string Format(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        if (value == 0) return double.IsNegative(value) ? "-0.0" : "0.0";
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        if (negative) text = text[1..];
        var exponent = 0;
        var e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }
        var dot = text.IndexOf('.');
        var intPart = dot < 0 ? text : text[..dot];
        var fracPart = dot < 0 ? "" : text[(dot + 1)..];
        var digits = (intPart + fracPart).TrimStart('0');
        // decimal point position relative to the start of `digits`
        var point = intPart.Length + exponent - ((intPart + fracPart).Length - digits.Length);
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        var scientific = point - 1;
        string body;
        if (scientific is >= -4 and < 16)
        {
            if (point <= 0) body = "0." + new string('0', -point) + digits;
            else if (point >= digits.Length) body = digits + new string('0', point - digits.Length) + ".0";
            else body = digits[..point] + "." + digits[point..];
        }
        else
        {
            var mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            body = $"{mantissa}e{(scientific < 0 ? '-' : '+')}{Math.Abs(scientific):00}";
        }
        return negative ? "-" + body : body;
    }

    /// <summary>Parses a number as Python's <c>float()</c> does (<c>nan</c>, <c>inf</c>, <c>-Infinity</c>, <c>1e-05</c>); false when it is not one.</summary>
    public static bool TryParse(string text, out double value)
    {
        var t = text.Trim();
        var sign = 1.0;
        var body = t;
        if (body.StartsWith('-')) { sign = -1; body = body[1..]; }
        else if (body.StartsWith('+')) body = body[1..];
        switch (body.ToLowerInvariant())
        {
            case "nan":
                value = double.NaN;
                return true;
            case "inf" or "infinity":
                value = sign * double.PositiveInfinity;
                return true;
        }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}
