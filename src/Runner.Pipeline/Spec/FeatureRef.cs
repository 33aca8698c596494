using System.Globalization;
using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>
/// A feature named in the spec: an index (<c>1234</c>), the best feature for a ground-truth topic
/// (<c>auto:bridge</c>), or a seeded random live feature (<c>random</c>, a control).
/// </summary>
[JsonConverter(typeof(FeatureRefJsonConverter))]
public sealed record FeatureRef
{
    /// <summary>The feature index, or null for auto/random.</summary>
    public int? Index { get; init; }

    /// <summary>The topic of <c>auto:TOPIC</c>, or null.</summary>
    public string? Topic { get; init; }

    /// <summary>True for <c>random</c>.</summary>
    public bool IsRandom { get; init; }

    /// <summary>The spec text: <c>1234</c>, <c>auto:bridge</c> or <c>random</c>.</summary>
    public override string ToString() =>
        Index is { } i ? i.ToString(CultureInfo.InvariantCulture) : Topic is { } t ? "auto:" + t : "random";

    /// <summary>Parses the string forms <c>auto:TOPIC</c> and <c>random</c>; null if <paramref name="text"/> is neither.</summary>
    public static FeatureRef? TryParse(string text)
    {
        if (text == "random") return new FeatureRef { IsRandom = true };
        if (text.StartsWith("auto:", StringComparison.Ordinal) && text.Length > 5 &&
            text.AsSpan(5).IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") < 0)
            return new FeatureRef { Topic = text[5..] };
        return null;
    }
}
