using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace Runner.Core.IO;

/// <summary>
/// Moves the enumeration of a lazy sequence onto a background thread that stays up to
/// <c>depth</c> items ahead of the consumer (a bounded queue), so producing the next item (I/O, a
/// gather) overlaps the consumer's work. Items handed out belong to the consumer; when the consumer
/// stops early (break, Take, Dispose of the enumerator) the thread is stopped and joined and items
/// produced but not handed out are disposed. An exception in the producer is rethrown to the
/// consumer, with its original stack, at the point it would have received the failed item.
/// </summary>
internal static class Prefetcher
{
    /// <summary>Enumerates <paramref name="source"/> on a thread named <paramref name="name"/>; depth 0 enumerates it in place.</summary>
    public static IEnumerable<T> Run<T>(IEnumerable<T> source, int depth, string name) where T : class, IDisposable =>
        depth <= 0 ? source : RunOnThread(source, depth, name);

    private static IEnumerable<T> RunOnThread<T>(IEnumerable<T> source, int depth, string name) where T : class, IDisposable
    {
        using var queue = new BlockingCollection<T>(depth);
        using var stop = new CancellationTokenSource();
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                foreach (var item in source)
                {
                    try
                    {
                        queue.Add(item, stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        item.Dispose();
                        return;
                    }
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
            finally
            {
                queue.CompleteAdding();
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        try
        {
            foreach (var item in queue.GetConsumingEnumerable()) yield return item;
            thread.Join();
            if (failure is not null) ExceptionDispatchInfo.Capture(failure).Throw();
        }
        finally
        {
            stop.Cancel();
            thread.Join();
            while (queue.TryTake(out var left)) left.Dispose();
        }
    }
}
