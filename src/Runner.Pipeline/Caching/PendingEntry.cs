namespace Runner.Pipeline.Caching;

/// <summary>
/// A stage's output being written: <see cref="OutputDirectory"/> lives under the cache root's
/// <c>.tmp/</c> (same file system, so publishing is one rename). Disposing an uncommitted entry
/// deletes it; a killed process leaves it for <see cref="StageCache.CollectGarbage"/> or the next
/// writer of the same key.
/// </summary>
public sealed class PendingEntry : IDisposable
{
    internal PendingEntry(string stage, string key, string workDirectory)
    {
        Stage = stage;
        Key = key;
        WorkDirectory = workDirectory;
        OutputDirectory = Path.Combine(workDirectory, "out");
    }

    /// <summary>The stage name.</summary>
    public string Stage { get; }

    /// <summary>The stage key.</summary>
    public string Key { get; }

    /// <summary>The folder the stage writes its outputs into; it becomes the entry.</summary>
    public string OutputDirectory { get; }

    /// <summary>The temp folder holding <see cref="OutputDirectory"/> and the owner record.</summary>
    internal string WorkDirectory { get; }

    /// <summary>Set once the output was renamed into place.</summary>
    internal bool Committed { get; set; }

    /// <summary>Deletes the temp folder (what remains of it after a commit, or all of it).</summary>
    public void Dispose() => StageCache.DeleteTree(WorkDirectory);
}
