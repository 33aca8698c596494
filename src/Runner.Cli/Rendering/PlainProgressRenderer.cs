using System.Diagnostics;
using System.Globalization;
using Runner.Pipeline.Caching;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Stages;

namespace Runner.Cli.Rendering;

/// <summary>Progress as plain lines on standard error, throttled: for logs that are not a terminal.</summary>
public sealed class PlainProgressRenderer(CliContext context) : ProgressRenderer
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (Stopwatch Clock, TimeSpan LastPrinted)> _stages = [];

    /// <inheritdoc/>
    public override T Run<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        work(cancellationToken).GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override void Report(PipelineEvent value)
    {
        lock (_gate)
        {
            var line = Describe(value);
            if (line is not null) context.Error.WriteLine(line);
        }
    }

    private string? Describe(PipelineEvent e)
    {
        var id = $"{e.PointIndex}/{e.Stage}";
        switch (e)
        {
            case StageStarted s:
                _stages[id] = (Stopwatch.StartNew(), TimeSpan.Zero);
                return $"{Label(e)}: computing{(s.Forced ? " (forced)" : "")}, key {StageCache.Short(s.Key)}";
            case StageWaiting w:
                return $"{Label(e)}: {w.Message}";
            case StageProgress p when _stages.TryGetValue(id, out var st):
                var now = st.Clock.Elapsed;
                if (now - st.LastPrinted < context.PlainProgressInterval) return null;
                _stages[id] = (st.Clock, now);
                return $"{Label(e)}: {Rate.Describe(p, now)}";
            case StageFinished f:
                _stages.Remove(id);
                return f.Status == StageStatus.Cached
                    ? $"{Label(e)}: cached ({StageCache.Short(f.Key)})"
                    : string.Create(CultureInfo.InvariantCulture, $"{Label(e)}: done in {f.Seconds:F1} s");
            case PipelineMessage { Level: MessageLevel.Warning } m:
                return $"warning: {Label(e)}: {m.Text}".Replace(":  :", ":").Replace("warning: : ", "warning: ");
            case PipelineMessage { Level: MessageLevel.Info } m:
                return $"{Label(e)}: {m.Text}";
            case PointFinished { Error: { } error }:
                return $"{Label(e)}: failed: {error.Message}";
            case PointFinished { Killed: true }:
                return $"{Label(e)}: killed (cancelled before it completed)";
            default:
                return null;
        }
    }
}
