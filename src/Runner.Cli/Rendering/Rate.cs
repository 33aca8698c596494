using System.Globalization;
using Runner.Pipeline.Stages;

namespace Runner.Cli.Rendering;

/// <summary>"45% (1,200/4,096 steps), 350 steps/s, ETA 0:08: message" from a progress event.</summary>
internal static class Rate
{
    public static string Describe(StageProgress p, TimeSpan elapsed)
    {
        var unit = p.Unit ?? "steps";
        var perSecond = elapsed.TotalSeconds > 0 ? p.Done / elapsed.TotalSeconds : 0;
        var text = p.Total is > 0 and var total
            ? string.Create(CultureInfo.InvariantCulture, $"{100 * p.Done / total:F0}% ({p.Done:N0}/{total:N0} {unit})")
            : string.Create(CultureInfo.InvariantCulture, $"{p.Done:N0} {unit}");
        if (perSecond > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $", {perSecond:N0} {unit}/s");
            if (p.Total is > 0 and var t && t > p.Done)
                text += $", ETA {Clock(TimeSpan.FromSeconds((t - p.Done) / perSecond))}";
        }
        return p.Message is { Length: > 0 } m ? $"{text}: {m}" : text;
    }

    private static string Clock(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
}
