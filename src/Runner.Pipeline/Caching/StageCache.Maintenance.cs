using System.Text.Json;
using System.Text.Json.Nodes;
using Runner.Core;
using Runner.Pipeline.Runs;

namespace Runner.Pipeline.Caching;

public sealed partial class StageCache
{
    /// <summary>Every entry folder, sorted by stage then key. Quick: reads manifests, hashes nothing.</summary>
    public IReadOnlyList<CacheEntryInfo> List()
    {
        if (!Directory.Exists(Root)) return [];
        var entries = new List<CacheEntryInfo>();
        foreach (var stageDir in Directory.EnumerateDirectories(Root).Order(StringComparer.Ordinal))
        {
            var stage = Path.GetFileName(stageDir);
            if (!StageNamePattern().IsMatch(stage)) continue;
            foreach (var dir in Directory.EnumerateDirectories(stageDir).Order(StringComparer.Ordinal))
            {
                var info = Describe(stage, dir);
                if (info is not null) entries.Add(info);
            }
        }
        return entries;
    }

    /// <summary>
    /// Removes the entries of <paramref name="stage"/> (null: every stage) whose key starts with
    /// <paramref name="keyPrefix"/> (null: every key) and returns them. At least one must be given.
    /// Do not remove entries that a running process is using.
    /// </summary>
    public IReadOnlyList<CacheEntryInfo> Remove(string? stage, string? keyPrefix)
    {
        if (string.IsNullOrEmpty(stage) && string.IsNullOrEmpty(keyPrefix))
            throw new RunnerException("name a stage, a key prefix or both to remove (use gc, or delete the cache folder, to remove everything)", exitCode: 2);
        var removed = List()
            .Where(e => (string.IsNullOrEmpty(stage) || e.Stage == stage)
                && (string.IsNullOrEmpty(keyPrefix) || e.Key.StartsWith(keyPrefix, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        foreach (var e in removed) MoveAside(e.Directory);
        return removed;
    }

    /// <summary>
    /// Removes entries per <paramref name="options"/>, entries with unreadable manifests, and
    /// leftovers: <c>.trash/</c>, temp folders of dead processes on this host (or older than
    /// <see cref="GcOptions.LeftoverMaxAge"/>), and stale lock files. Runs that are in progress may
    /// still need an unreferenced entry: prefer <see cref="GcOptions.UnusedFor"/> together with
    /// <see cref="GcOptions.RunsRoots"/> while other runs share the cache.
    /// </summary>
    public GcReport CollectGarbage(GcOptions options)
    {
        var referenced = options.RunsRoots.Count == 0 ? null : ReferencedEntries(options.RunsRoots);
        var now = DateTimeOffset.UtcNow;
        var entries = List().Where(e =>
            e.Problem is not null
            || ((referenced is not null || options.UnusedFor is not null)
                && (referenced is null || !referenced.Contains($"{e.Stage}/{e.Key}"))
                && (options.UnusedFor is null || now - e.LastUsed > options.UnusedFor))).ToList();
        var leftovers = Leftovers(options.LeftoverMaxAge, now);
        if (!options.DryRun)
        {
            foreach (var e in entries) MoveAside(e.Directory);
            foreach (var path in leftovers)
            {
                if (Directory.Exists(path)) DeleteTree(path);
                else TryDeleteFile(path);
            }
        }
        return new GcReport { Entries = entries, Leftovers = leftovers };
    }

    /// <summary>"stage/key" of every stage recorded by a run folder under <paramref name="runsRoots"/>.</summary>
    private static HashSet<string> ReferencedEntries(IEnumerable<string> runsRoots)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in runsRoots)
        {
            foreach (var run in RunFolder.Enumerate(root))
            {
                RunRecord record;
                try
                {
                    record = RunFolder.Read(run);
                }
                catch (RunnerException)
                {
                    continue; // not a readable run folder: references nothing
                }
                foreach (var s in record.Stages) set.Add($"{s.Name}/{s.Key}");
            }
        }
        return set;
    }

    private CacheEntryInfo? Describe(string stage, string dir)
    {
        var key = Path.GetFileName(dir);
        if (!KeyPattern().IsMatch(key)) return null;
        long size;
        DateTimeOffset lastUsed;
        try
        {
            size = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            lastUsed = Directory.GetLastWriteTimeUtc(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null; // removed while we looked
        }
        string? problem = null;
        var created = lastUsed;
        try
        {
            var manifest = CacheManifest.Parse(File.ReadAllText(Path.Combine(dir, CacheManifest.FileName)));
            created = manifest.Created;
            if (manifest.Stage != stage || manifest.Key != key) problem = $"manifest.json describes {manifest.Stage}/{Short(manifest.Key)}";
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            problem = e is FileNotFoundException ? "manifest.json is missing" : $"manifest.json is unreadable: {e.Message}";
        }
        return new CacheEntryInfo { Stage = stage, Key = key, Directory = dir, SizeBytes = size, Created = created, LastUsed = lastUsed, Problem = problem };
    }

    private List<string> Leftovers(TimeSpan maxAge, DateTimeOffset now)
    {
        var found = new List<string>();
        var trash = Path.Combine(Root, TrashFolder);
        if (Directory.Exists(trash)) found.AddRange(Directory.EnumerateFileSystemEntries(trash));
        var temp = Path.Combine(Root, TempFolder);
        if (Directory.Exists(temp))
        {
            foreach (var dir in Directory.EnumerateDirectories(temp))
                if (IsAbandoned(Path.Combine(dir, OwnerFile), Directory.GetLastWriteTimeUtc(dir), maxAge, now)) found.Add(dir);
        }
        var locks = Path.Combine(Root, LocksFolder);
        if (Directory.Exists(locks))
        {
            foreach (var file in Directory.EnumerateFiles(locks))
            {
                var old = now - File.GetLastWriteTimeUtc(file) > maxAge;
                if (!file.EndsWith(".lock", StringComparison.Ordinal))
                {
                    if (old || now - File.GetLastWriteTimeUtc(file) > Options.Lock.StaleAfter) found.Add(file); // a broken lock left behind
                    continue;
                }
                var holder = CacheLock.TryRead(file) is { } bytes ? LockHolder.TryParse(bytes) : null;
                if (old || (holder is not null && OnThisHostAndDead(holder.Host, holder.Pid, holder.ProcessStart))) found.Add(file);
            }
        }
        return found;
    }

    /// <summary>Deletes temp folders for the same key left by dead processes on this host (a SIGKILLed run's output).</summary>
    private void RemoveDeadTemps(string stage, string key)
    {
        var temp = Path.Combine(Root, TempFolder);
        if (!Directory.Exists(temp)) return;
        foreach (var dir in Directory.EnumerateDirectories(temp, $"{stage}.{key[..16]}.*"))
        {
            if (ReadOwner(Path.Combine(dir, OwnerFile)) is { } owner && OnThisHostAndDead(owner.Host, owner.Pid, owner.Start)) DeleteTree(dir);
        }
    }

    private static bool IsAbandoned(string ownerFile, DateTime folderTime, TimeSpan maxAge, DateTimeOffset now)
    {
        var owner = ReadOwner(ownerFile);
        if (owner is null) return now - folderTime > TimeSpan.FromMinutes(10); // a folder that never got its owner record
        return OnThisHostAndDead(owner.Value.Host, owner.Value.Pid, owner.Value.Start) || now - folderTime > maxAge;
    }

    private static (string Host, int Pid, string Start)? ReadOwner(string ownerFile)
    {
        try
        {
            if (JsonNode.Parse(File.ReadAllText(ownerFile)) is not JsonObject o) return null;
            return ((string?)o["host"] ?? "", (int?)o["pid"] ?? 0, (string?)o["process_start"] ?? "");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    private static bool OnThisHostAndDead(string host, int pid, string start) =>
        host == ProcessLiveness.HostName && pid > 0 && !ProcessLiveness.IsAlive(pid, start);

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
