using Runner.Pipeline.Stages;

namespace Runner.Cli.Rendering;

/// <summary>
/// Shows what a run is doing. In a terminal: live bars with rate and ETA (Spectre.Console). Otherwise
/// (CI logs, pipes): one line per stage start and end, and a progress line at most every
/// <see cref="CliContext.PlainProgressInterval"/> per stage. Events may come from any thread.
/// </summary>
public abstract class ProgressRenderer : IProgress<PipelineEvent>, IDisposable
{
    /// <summary>The renderer for <paramref name="context"/>'s output.</summary>
    public static ProgressRenderer Create(CliContext context) =>
        context.Interactive ? new LiveProgressRenderer(context) : new PlainProgressRenderer(context);

    /// <summary>Runs <paramref name="work"/> while rendering its events; returns its result.</summary>
    public abstract T Run<T>(Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken);

    /// <inheritdoc/>
    public abstract void Report(PipelineEvent value);

    /// <inheritdoc/>
    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>"[run] stage" or "stage" when the run has one point.</summary>
    protected static string Label(PipelineEvent e) =>
        e.RunName is null ? e.Stage ?? "" : e.Stage is null ? $"[{e.RunName}]" : $"[{e.RunName}] {e.Stage}";
}
