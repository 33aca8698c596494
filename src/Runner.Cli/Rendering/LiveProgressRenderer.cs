using Runner.Pipeline.Caching;
using Runner.Pipeline.Runs;
using Runner.Pipeline.Stages;
using Spectre.Console;

namespace Runner.Cli.Rendering;

/// <summary>Live progress bars in a terminal (Spectre.Console), on standard error.</summary>
public sealed class LiveProgressRenderer(CliContext context) : ProgressRenderer
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ProgressTask> _tasks = [];
    private readonly Dictionary<string, System.Diagnostics.Stopwatch> _clocks = [];
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(context.Error), Interactive = InteractionSupport.Yes });
    private ProgressContext? _progress;

    /// <inheritdoc/>
    public override T Run<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        _console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(ctx =>
            {
                lock (_gate) _progress = ctx;
                return work(cancellationToken);
            })
            .GetAwaiter().GetResult();

    /// <inheritdoc/>
    public override void Report(PipelineEvent value)
    {
        lock (_gate)
        {
            if (_progress is null) return;
            var id = $"{value.PointIndex}/{value.Stage}";
            switch (value)
            {
                case StageStarted s:
                    var task = _progress.AddTask(Markup.Escape($"{Label(s)} {StageCache.Short(s.Key)}{(s.Forced ? " (forced)" : "")}"));
                    task.IsIndeterminate = true;
                    _tasks[id] = task;
                    _clocks[id] = System.Diagnostics.Stopwatch.StartNew();
                    break;
                case StageWaiting w when _tasks.TryGetValue(id, out var t):
                    t.Description = Markup.Escape($"{Label(w)}: {w.Message}");
                    break;
                case StageProgress p when _tasks.TryGetValue(id, out var t):
                    if (p.Total is > 0 and var total)
                    {
                        t.IsIndeterminate = false;
                        t.MaxValue = total;
                        t.Value = Math.Min(p.Done, total);
                    }
                    var elapsed = _clocks.TryGetValue(id, out var clock) ? clock.Elapsed : TimeSpan.Zero;
                    t.Description = Markup.Escape($"{Label(p)}: {Rate.Describe(p, elapsed)}");
                    break;
                case StageFinished f:
                    if (!_tasks.TryGetValue(id, out var done))
                        done = _progress.AddTask(Markup.Escape($"{Label(f)} {StageCache.Short(f.Key)}"));
                    done.Description = Markup.Escape(f.Status == StageStatus.Cached ? $"{Label(f)}: cached" : $"{Label(f)}: done in {f.Seconds:F1} s");
                    done.IsIndeterminate = false;
                    done.Value = done.MaxValue;
                    done.StopTask();
                    break;
                case PipelineMessage { Level: MessageLevel.Warning } m:
                    _console.MarkupLine($"[yellow]warning:[/] {Markup.Escape($"{Label(m)} {m.Text}".Trim())}");
                    break;
                case PointFinished { Error: { } error } pf:
                    _console.MarkupLine($"[red]failed:[/] {Markup.Escape($"{Label(pf)}: {error.Message}")}");
                    break;
            }
        }
    }
}
