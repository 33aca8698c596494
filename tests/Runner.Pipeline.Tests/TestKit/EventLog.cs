using System.Collections.Concurrent;
using Runner.Pipeline.Stages;

namespace Runner.Pipeline.Tests.TestKit;

/// <summary>Collects pipeline events synchronously, in order.</summary>
public sealed class EventLog : IProgress<PipelineEvent>
{
    private readonly ConcurrentQueue<PipelineEvent> _events = new();

    /// <summary>Every event so far.</summary>
    public IReadOnlyList<PipelineEvent> All => _events.ToList();

    /// <summary>The texts of warning messages.</summary>
    public IReadOnlyList<string> Warnings => _events.OfType<PipelineMessage>().Where(m => m.Level == MessageLevel.Warning).Select(m => m.Text).ToList();

    /// <summary>Events of one type.</summary>
    public IReadOnlyList<T> Of<T>() where T : PipelineEvent => _events.OfType<T>().ToList();

    public void Report(PipelineEvent value) => _events.Enqueue(value);
}
