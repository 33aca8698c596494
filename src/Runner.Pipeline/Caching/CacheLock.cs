using System.Diagnostics;

namespace Runner.Pipeline.Caching;

/// <summary>
/// An exclusive lock on one cache key between processes, possibly on different hosts sharing the
/// cache over NFS. The lock is a file created with O_CREAT|O_EXCL (<see cref="FileMode.CreateNew"/>,
/// atomic on local file systems and on NFSv3+) holding the holder's host, pid, process start and a
/// heartbeat counter that the holder rewrites every <see cref="LockOptions.Heartbeat"/>. A waiter
/// breaks the lock when the holder is on the same host and its pid is dead (immediately: a SIGKILLed
/// holder is recovered within one poll), or when the file has not changed for
/// <see cref="LockOptions.StaleAfter"/> on the waiter's own clock (a crashed host, a pid on another
/// host). flock/fcntl locks are not used: .NET's FileShare.None is an advisory flock that silently
/// degrades to no lock where the file system refuses flock, and NFS flock emulation depends on the
/// server's lock manager and lease recovery. The lock is an optimisation for "compute once": entries
/// are published by an atomic rename of a complete folder, so even a wrongly broken lock costs only a
/// duplicate computation, never a half-written entry.
/// </summary>
public sealed class CacheLock : IDisposable
{
    private readonly LockHolder _holder;
    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private long _beat;
    private bool _disposed;

    private CacheLock(string path, LockHolder holder, LockOptions options)
    {
        FilePath = path;
        _holder = holder;
        _timer = new Timer(_ => Heartbeat(), null, options.Heartbeat, options.Heartbeat);
    }

    /// <summary>The lock file.</summary>
    public string FilePath { get; }

    /// <summary>True when another process broke this lock (it thought us stale); we keep working regardless.</summary>
    public bool Lost { get; private set; }

    /// <summary>
    /// Takes the lock at <paramref name="path"/>, waiting while a live holder has it.
    /// <paramref name="onWaiting"/> is called once per holder we start waiting for.
    /// </summary>
    public static async Task<CacheLock> AcquireAsync(string path, LockOptions options, Action<LockHolder>? onWaiting, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var me = new LockHolder
        {
            Token = Guid.NewGuid().ToString("N"),
            Host = ProcessLiveness.HostName,
            Pid = Environment.ProcessId,
            ProcessStart = ProcessLiveness.CurrentStartMarker,
            Acquired = DateTimeOffset.UtcNow,
        };
        byte[]? seen = null;
        long seenSince = 0;
        string? reported = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (TryCreate(path, me)) return new CacheLock(path, me, options);
            var bytes = TryRead(path);
            if (bytes is null) continue; // released between our two looks: try again at once
            var now = Stopwatch.GetTimestamp();
            if (seen is null || !bytes.AsSpan().SequenceEqual(seen))
            {
                seen = bytes;
                seenSince = now;
            }
            var holder = LockHolder.TryParse(bytes);
            if (IsStale(holder, Stopwatch.GetElapsedTime(seenSince, now), options))
            {
                Break(path, bytes);
                seen = null;
                continue;
            }
            var shown = holder ?? LockHolder.Unknown;
            if (shown.Token != reported)
            {
                reported = shown.Token;
                onWaiting?.Invoke(shown);
            }
            await Task.Delay(options.Poll, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a lock file with this content may be broken.</summary>
    internal static bool IsStale(LockHolder? holder, TimeSpan unchangedFor, LockOptions options)
    {
        if (unchangedFor >= options.StaleAfter) return true;
        return holder is { Pid: > 0 } h && h.Host == ProcessLiveness.HostName && !ProcessLiveness.IsAlive(h.Pid, h.ProcessStart);
    }

    /// <summary>Releases the lock: stops the heartbeat and deletes the file if it is still ours.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _timer.Dispose();
            if (Lost) return;
            var bytes = TryRead(FilePath);
            if (bytes is not null && LockHolder.TryParse(bytes)?.Token == _holder.Token) TryDelete(FilePath);
        }
    }

    private void Heartbeat()
    {
        lock (_gate)
        {
            if (_disposed || Lost) return;
            try
            {
                var bytes = TryRead(FilePath);
                if (bytes is null || LockHolder.TryParse(bytes)?.Token != _holder.Token)
                {
                    Lost = true;
                    return;
                }
                var data = (_holder with { Beat = ++_beat }).ToBytes();
                using var stream = new FileStream(FilePath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                stream.Write(data);
                stream.SetLength(data.Length);
            }
            catch (IOException)
            {
                // A transient error (an NFS hiccup): the next beat tries again, and a waiter needs
                // StaleAfter of silence before it breaks the lock.
            }
        }
    }

    private const int FileExistsErrno = 17;                          // EEXIST, as .NET reports it on Linux
    private const int FileExistsWin32 = unchecked((int)0x80070050);   // ERROR_FILE_EXISTS

    private static bool TryCreate(string path, LockHolder me)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            stream.Write(me.ToBytes());
            return true;
        }
        // The file exists, or existed when CreateNew failed and its holder released it since (EEXIST; seen under load):
        // either way the caller looks again.
        catch (IOException e) when (File.Exists(path) || e.HResult is FileExistsErrno or FileExistsWin32)
        {
            return false;
        }
        catch (UnauthorizedAccessException e)
        {
            throw new Core.RunnerException($"cannot create the cache lock {path}: {e.Message} (is the cache folder writable?)", inner: e);
        }
    }

    /// <summary>
    /// Moves a stale lock aside and deletes it. If what we moved is not what we judged stale (someone
    /// broke it and took it in between), we put it back unless a newer lock already took its place.
    /// </summary>
    private static void Break(string path, byte[] staleBytes)
    {
        var aside = $"{path}.stale.{Guid.NewGuid():N}";
        try
        {
            File.Move(path, aside);
        }
        catch (IOException)
        {
            return; // gone already: someone else broke or released it
        }
        var moved = TryRead(aside);
        if (moved is not null && !moved.AsSpan().SequenceEqual(staleBytes))
        {
            try
            {
                File.Move(aside, path, overwrite: false);
                return;
            }
            catch (IOException)
            {
                // a newer lock is in place; the one we moved loses (its holder sees Lost)
            }
        }
        TryDelete(aside);
    }

    internal static byte[]? TryRead(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
