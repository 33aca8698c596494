using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Runner.Pipeline.Caching;

/// <summary>
/// The content-addressed stage cache. Layout under <see cref="Root"/>:
/// <c>&lt;stage&gt;/&lt;key&gt;/</c> published entries (a <c>manifest.json</c> plus the stage's files),
/// <c>.tmp/&lt;id&gt;/</c> outputs being written (<c>owner.json</c> + <c>out/</c>),
/// <c>.trash/</c> entries moved aside before deletion, <c>.locks/&lt;stage&gt;.&lt;key&gt;.lock</c>.
/// Entries appear only by renaming a complete folder (manifest included) into place, and every hit is
/// verified (<see cref="CacheVerification"/>): a missing, partial or corrupt entry is a miss.
/// </summary>
public sealed partial class StageCache
{
    private const string TempFolder = ".tmp";
    private const string TrashFolder = ".trash";
    private const string LocksFolder = ".locks";
    private const string CheckpointsFolder = ".checkpoints";
    private const string OwnerFile = "owner.json";

    /// <summary>A cache over <paramref name="options"/>.Root (created on first write).</summary>
    public StageCache(CacheOptions options)
    {
        Options = options;
        Root = Path.GetFullPath(options.Root);
    }

    /// <summary>The options this cache was made with.</summary>
    public CacheOptions Options { get; }

    /// <summary>The absolute cache root.</summary>
    public string Root { get; }

    /// <summary>Where the entry for <paramref name="stage"/>/<paramref name="key"/> lives (whether or not it exists).</summary>
    public string EntryDirectory(string stage, string key)
    {
        CheckNames(stage, key);
        return Path.Combine(Root, stage, key);
    }

    /// <summary>Whether an entry's manifest exists, verifying nothing (Valid or Missing; a later hit still verifies).</summary>
    public CacheProbe Peek(string stage, string key) =>
        File.Exists(Path.Combine(EntryDirectory(stage, key), CacheManifest.FileName))
            ? new CacheProbe(CacheProbeStatus.Valid, null, null)
            : CacheProbe.Missing;

    /// <summary>Looks at an entry and verifies it, changing nothing (what a dry run uses).</summary>
    public CacheProbe Probe(string stage, string key)
    {
        var dir = EntryDirectory(stage, key);
        if (!Directory.Exists(dir)) return CacheProbe.Missing;
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(dir, CacheManifest.FileName));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Corrupt("manifest.json is missing");
        }
        catch (IOException e)
        {
            return Corrupt($"manifest.json cannot be read ({e.Message})");
        }
        CacheManifest manifest;
        try
        {
            manifest = CacheManifest.Parse(text);
        }
        catch (FormatException e)
        {
            return Corrupt($"manifest.json is unreadable: {e.Message}");
        }
        if (manifest.Stage != stage || manifest.Key != key)
            return Corrupt($"manifest.json describes {manifest.Stage}/{Short(manifest.Key)}");
        var problem = VerifyFiles(dir, manifest);
        return problem is null
            ? new CacheProbe(CacheProbeStatus.Valid, new CacheEntry(stage, key, dir, manifest), null)
            : Corrupt(problem);
    }

    /// <summary>
    /// The verified entry, or null on a miss. A corrupt entry is reported through
    /// <paramref name="warn"/>, moved aside and deleted. A hit updates the entry folder's modification
    /// time, which is what "last used" means in <see cref="List"/> and <see cref="CollectGarbage"/>.
    /// </summary>
    public CacheEntry? TryGet(string stage, string key, Action<string>? warn = null)
    {
        var probe = Probe(stage, key);
        switch (probe.Status)
        {
            case CacheProbeStatus.Valid:
                Touch(probe.Entry!.Directory);
                return probe.Entry;
            case CacheProbeStatus.Corrupt:
                warn?.Invoke($"cache entry {stage}/{Short(key)} is not trusted: {probe.Reason}; it was removed and will be recomputed");
                MoveAside(EntryDirectory(stage, key));
                return null;
            default:
                return null;
        }
    }

    /// <summary>The lock that makes processes compute <paramref name="stage"/>/<paramref name="key"/> once.</summary>
    public Task<CacheLock> LockAsync(string stage, string key, Action<LockHolder>? onWaiting, CancellationToken cancellationToken)
    {
        CheckNames(stage, key);
        return CacheLock.AcquireAsync(LockPath(stage, key), Options.Lock, onWaiting, cancellationToken);
    }

    /// <summary>A fresh temp folder for the output of <paramref name="stage"/>/<paramref name="key"/>.</summary>
    public PendingEntry BeginWrite(string stage, string key)
    {
        CheckNames(stage, key);
        RemoveDeadTemps(stage, key);
        var work = Path.Combine(Root, TempFolder, $"{stage}.{key[..16]}.{Guid.NewGuid():N}");
        var pending = new PendingEntry(stage, key, work);
        Directory.CreateDirectory(pending.OutputDirectory);
        File.WriteAllText(Path.Combine(work, OwnerFile), new JsonObject
        {
            ["stage"] = stage,
            ["key"] = key,
            ["host"] = ProcessLiveness.HostName,
            ["pid"] = Environment.ProcessId,
            ["process_start"] = ProcessLiveness.CurrentStartMarker,
            ["created"] = DateTime.UtcNow.ToString("O"),
        }.ToJsonString());
        return pending;
    }

    /// <summary>
    /// Publishes a pending entry: hashes its files, writes the manifest (from <paramref name="draft"/>:
    /// version, inputs, environment, slice, metrics, notes) and renames the folder into place. When an
    /// entry already exists it is kept if valid (and returned instead of ours), unless
    /// <paramref name="replaceExisting"/> (a forced recomputation), which moves it aside first.
    /// </summary>
    public CacheEntry Commit(PendingEntry pending, CacheManifest draft, bool replaceExisting = false, Action<string>? warn = null)
    {
        if (pending.Committed) throw new InvalidOperationException("this entry was already committed");
        var manifest = draft with
        {
            Format = CacheManifest.CurrentFormat,
            Stage = pending.Stage,
            Key = pending.Key,
            Created = DateTimeOffset.UtcNow,
            Files = DescribeFiles(pending.OutputDirectory),
        };
        using (var stream = new FileStream(Path.Combine(pending.OutputDirectory, CacheManifest.FileName), FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(manifest.ToText()));
            stream.Flush(flushToDisk: true);
        }
        var final = EntryDirectory(pending.Stage, pending.Key);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                Directory.Move(pending.OutputDirectory, final);
                pending.Committed = true;
                Touch(final);
                return new CacheEntry(pending.Stage, pending.Key, final, manifest);
            }
            catch (IOException) when (Directory.Exists(final))
            {
                if (!replaceExisting)
                {
                    var existing = TryGet(pending.Stage, pending.Key, warn);
                    if (existing is not null) return existing; // published by someone else meanwhile: same key, keep theirs
                }
                else
                {
                    MoveAside(final);
                }
            }
        }
        throw new IOException($"could not publish the cache entry {final}: the folder kept reappearing");
    }

    /// <summary>"ab12cd34ef56" — the first 12 hex digits, for messages.</summary>
    public static string Short(string key) => key.Length > 12 ? key[..12] : key;

    private CacheProbe Corrupt(string reason) => new(CacheProbeStatus.Corrupt, null, reason);

    /// <summary>
    /// Where a stage computing <paramref name="key"/> keeps resumable state (checkpoints): stable
    /// across runs, so a cancelled or killed computation resumes; removed once the entry is published.
    /// </summary>
    public string CheckpointDirectory(string stage, string key) => Path.Combine(Root, CheckpointsFolder, stage, key);

    private string LockPath(string stage, string key) => Path.Combine(Root, LocksFolder, $"{stage}.{key}.lock");

    private string? VerifyFiles(string dir, CacheManifest manifest)
    {
        long total = 0;
        foreach (var f in manifest.Files)
        {
            var info = new FileInfo(Path.Combine(dir, f.Path));
            if (!info.Exists) return $"file '{f.Path}' is missing";
            if (info.Length != f.Size) return $"file '{f.Path}' has {info.Length} bytes, the manifest says {f.Size}";
            total += f.Size;
        }
        var listed = manifest.Files.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        foreach (var path in RelativeFiles(dir))
            if (path != CacheManifest.FileName && !listed.Contains(path)) return $"file '{path}' is not in the manifest";
        var hash = Options.Verification == CacheVerification.Full
            || (Options.Verification == CacheVerification.Auto && total <= Options.FullHashLimitBytes);
        if (!hash) return null;
        foreach (var f in manifest.Files)
            if (FileHash.Sha256(Path.Combine(dir, f.Path)) != f.Sha256) return $"file '{f.Path}' does not match its SHA-256";
        return null;
    }

    private static List<ManifestFile> DescribeFiles(string dir)
    {
        var files = new List<ManifestFile>();
        foreach (var path in RelativeFiles(dir))
        {
            var full = Path.Combine(dir, path);
            var info = new FileInfo(full);
            if (info.LinkTarget is not null) throw new InvalidOperationException($"stage output '{path}' is a symbolic link; cache entries hold plain files only");
            if (path == CacheManifest.FileName) throw new InvalidOperationException($"stage output '{path}' uses the reserved name {CacheManifest.FileName}");
            files.Add(new ManifestFile(path, info.Length, FileHash.Sha256(full)));
        }
        return files;
    }

    /// <summary>Every file under <paramref name="dir"/>, '/'-separated relative paths, sorted ordinally.</summary>
    private static List<string> RelativeFiles(string dir) =>
        Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false })
            .Select(f => Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Renames a folder into .trash (atomic: no reader sees it half-deleted), then deletes it.</summary>
    private void MoveAside(string dir)
    {
        var trash = Path.Combine(Root, TrashFolder);
        Directory.CreateDirectory(trash);
        var aside = Path.Combine(trash, $"{Path.GetFileName(Path.GetDirectoryName(dir))}.{Path.GetFileName(dir)}.{Guid.NewGuid():N}");
        try
        {
            Directory.Move(dir, aside);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (Directory.Exists(dir)) throw new Core.RunnerException($"cannot remove the untrusted cache entry {dir}: {e.Message}", inner: e);
            return; // someone else moved it already
        }
        DeleteTree(aside);
    }

    private static void Touch(string dir)
    {
        try
        {
            Directory.SetLastWriteTimeUtc(dir, DateTime.UtcNow);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a read-only shared cache: "last used" is then only approximate
        }
    }

    /// <summary>Deletes a folder tree, ignoring what is already gone or cannot be deleted.</summary>
    internal static void DeleteTree(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void CheckNames(string stage, string key)
    {
        if (!StageNamePattern().IsMatch(stage)) throw new ArgumentException($"invalid stage name '{stage}'", nameof(stage));
        if (!KeyPattern().IsMatch(key)) throw new ArgumentException($"invalid stage key '{key}' (expected 64 lower-case hex digits)", nameof(key));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*$")]
    internal static partial Regex StageNamePattern();

    [GeneratedRegex("^[0-9a-f]{64}$")]
    private static partial Regex KeyPattern();
}
