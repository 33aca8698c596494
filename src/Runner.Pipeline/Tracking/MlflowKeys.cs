using System.Text;

namespace Runner.Pipeline.Tracking;

/// <summary>MLflow's rules for names and values: keys match <c>^[/\w.\- :]*$</c> as normalized paths, at most 250 characters; param values at most 6000, tag values 8000.</summary>
public static class MlflowKeys
{
    /// <summary>The longest param value MLflow keeps.</summary>
    public const int MaxParamValue = 6000;

    /// <summary>The longest run tag value MLflow keeps.</summary>
    public const int MaxTagValue = 8000;

    /// <summary>The longest key.</summary>
    public const int MaxKey = 250;

    /// <summary><paramref name="key"/> with every other character replaced by '_', empty and <c>..</c> segments removed, cut to 250 characters.</summary>
    public static string Sanitize(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var c in key) sb.Append(char.IsLetterOrDigit(c) || c is '_' or '/' or '.' or '-' or ' ' or ':' ? c : '_');
        var segments = sb.ToString().Split('/', StringSplitOptions.RemoveEmptyEntries).Select(s => s is "." or ".." ? "_" : s);
        var clean = string.Join('/', segments);
        if (clean.Length == 0) clean = "_";
        return clean.Length <= MaxKey ? clean : clean[..MaxKey];
    }

    /// <summary><paramref name="value"/> cut to <paramref name="max"/> characters with a note of how much was cut.</summary>
    public static string Truncate(string value, int max, string note)
    {
        if (value.Length <= max) return value;
        var suffix = $"… [{value.Length} characters; {note}]";
        return value[..(max - suffix.Length)] + suffix;
    }
}
