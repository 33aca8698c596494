using System.Globalization;

namespace Runner.Pipeline.Estimates;

/// <summary>Sizes and durations as people read them: <c>1.4 GB</c>, <c>3 min 20 s</c> (decimal units, invariant culture).</summary>
public static class Quantities
{
    /// <summary>Bytes in B, KB, MB, GB or TB (powers of 1000), three significant digits.</summary>
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KB", "MB", "GB", "TB", "PB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 999.5 && unit < units.Length - 1)
        {
            value /= 1000;
            unit++;
        }
        var format = unit == 0 || value >= 99.95 ? "F0" : value >= 9.995 ? "F1" : "F2";
        return value.ToString(format, CultureInfo.InvariantCulture) + " " + units[unit];
    }

    /// <summary>Seconds as <c>0.4 s</c>, <c>12 s</c>, <c>3 min 20 s</c>, <c>2 h 05 min</c>; "?" for null.</summary>
    public static string Seconds(double? seconds)
    {
        if (seconds is not { } s) return "?";
        if (s < 9.95) return s.ToString("F1", CultureInfo.InvariantCulture) + " s";
        if (s < 59.5) return s.ToString("F0", CultureInfo.InvariantCulture) + " s";
        var total = (long)Math.Round(s);
        if (total < 3600) return string.Create(CultureInfo.InvariantCulture, $"{total / 60} min {total % 60:D2} s");
        var minutes = (long)Math.Round(s / 60);
        return minutes < 48 * 60
            ? string.Create(CultureInfo.InvariantCulture, $"{minutes / 60} h {minutes % 60:D2} min")
            : string.Create(CultureInfo.InvariantCulture, $"{s / 86400:F1} days");
    }
}
