using Runner.Pipeline.Caching;
using Runner.Pipeline.Tests.TestKit;

namespace Runner.Pipeline.Tests.Caching;

public sealed class StageCacheTests : IDisposable
{
    private static readonly string KeyA = new('a', 64);
    private static readonly string KeyB = new('b', 64);
    private readonly PipelineFixture _fx = new();

    public void Dispose() => _fx.Dispose();

    private static CacheEntry Publish(StageCache cache, string stage, string key, bool replace = false, params (string Path, string Text)[] files)
    {
        using var pending = cache.BeginWrite(stage, key);
        foreach (var (path, text) in files)
        {
            var full = Path.Combine(pending.OutputDirectory, path);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text);
        }
        return cache.Commit(pending, new CacheManifest
        {
            Stage = stage,
            Key = key,
            Version = 2,
            Inputs = new Dictionary<string, string> { ["capture"] = KeyB },
            Environment = "env",
            Metrics = new Dictionary<string, double> { ["mse"] = 0.25 },
            Notes = ["note"],
        }, replace);
    }

    private static CacheEntry Publish(StageCache cache, string stage, string key, params (string Path, string Text)[] files) =>
        Publish(cache, stage, key, false, files);

    [Fact]
    public void A_committed_entry_verifies_and_its_manifest_lists_every_file_with_size_and_hash()
    {
        var cache = _fx.Cache();
        var entry = Publish(cache, "train", KeyA, ("a.txt", "hello"), ("sub/b.txt", ""));

        Assert.Equal(Path.Combine(_fx.CacheRoot, "train", KeyA), entry.Directory);
        var probe = cache.Probe("train", KeyA);
        Assert.Equal(CacheProbeStatus.Valid, probe.Status);
        var m = probe.Entry!.Manifest;
        Assert.Equal(("train", KeyA, 2, "env"), (m.Stage, m.Key, m.Version, m.Environment));
        Assert.Equal(KeyB, m.Inputs["capture"]);
        Assert.Equal(
            [
                new ManifestFile("a.txt", 5, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
                new ManifestFile("sub/b.txt", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ],
            m.Files);
        Assert.Equal(0.25, m.Metrics["mse"]);
        Assert.Equal(["note"], m.Notes);
        Assert.InRange(DateTimeOffset.UtcNow - m.Created, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        Assert.Matches("\"created\": \"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{7}Z\"", File.ReadAllText(Path.Combine(entry.Directory, "manifest.json")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fx.CacheRoot, ".tmp")));
    }

    [Fact]
    public void A_missing_entry_is_a_plain_miss_without_a_warning()
    {
        var warnings = new List<string>();
        Assert.Null(_fx.Cache().TryGet("train", KeyA, warnings.Add));
        Assert.Equal(CacheProbeStatus.Missing, _fx.Cache().Probe("train", KeyA).Status);
        Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("metric-edited", "manifest.json is unreadable: checksum mismatch (the manifest was edited or damaged)")]
    [InlineData("manifest-garbage", "manifest.json is unreadable: not valid JSON")]
    [InlineData("manifest-missing", "manifest.json is missing")]
    [InlineData("other-key", "manifest.json describes train/bbbbbbbbbbbb")]
    [InlineData("extra-file", "file 'stray.tmp' is not in the manifest")]
    [InlineData("same-size-change", "file 'a.txt' does not match its SHA-256")]
    [InlineData("truncated", "file 'a.txt' has 2 bytes, the manifest says 5")]
    [InlineData("deleted", "file 'sub/b.txt' is missing")]
    public void A_corrupt_entry_is_a_miss_with_a_warning_and_is_removed(string damage, string reason)
    {
        var cache = _fx.Cache();
        var dir = Publish(cache, "train", damage == "other-key" ? KeyB : KeyA, ("a.txt", "hello"), ("sub/b.txt", "x")).Directory;
        var manifest = Path.Combine(dir, "manifest.json");
        switch (damage)
        {
            case "metric-edited": File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"mse\": 0.25", "\"mse\": 0.2")); break;
            case "manifest-garbage": File.WriteAllText(manifest, "{\"stage\": \"tr"); break;
            case "manifest-missing": File.Delete(manifest); break;
            case "other-key": Directory.Move(dir, Path.Combine(_fx.CacheRoot, "train", KeyA)); break;
            case "extra-file": File.WriteAllText(Path.Combine(dir, "stray.tmp"), ""); break;
            case "same-size-change": File.WriteAllText(Path.Combine(dir, "a.txt"), "jello"); break;
            case "truncated": File.WriteAllText(Path.Combine(dir, "a.txt"), "he"); break;
            case "deleted": File.Delete(Path.Combine(dir, "sub/b.txt")); break;
        }

        var probe = cache.Probe("train", KeyA);
        Assert.Equal(CacheProbeStatus.Corrupt, probe.Status);
        Assert.StartsWith(reason, probe.Reason);
        Assert.True(Directory.Exists(Path.Combine(_fx.CacheRoot, "train", KeyA)), "a probe changes nothing");

        var warnings = new List<string>();
        Assert.Null(cache.TryGet("train", KeyA, warnings.Add));
        Assert.Equal($"cache entry train/aaaaaaaaaaaa is not trusted: {probe.Reason}; it was removed and will be recomputed", Assert.Single(warnings));
        Assert.False(Directory.Exists(Path.Combine(_fx.CacheRoot, "train", KeyA)));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fx.CacheRoot, ".trash")));
    }

    [Theory]
    [InlineData(CacheVerification.Auto, CacheProbeStatus.Valid)]
    [InlineData(CacheVerification.Sizes, CacheProbeStatus.Valid)]
    [InlineData(CacheVerification.Full, CacheProbeStatus.Corrupt)]
    public void Entries_above_the_hash_limit_are_checked_by_size_unless_verification_is_full(CacheVerification verification, CacheProbeStatus expected)
    {
        var dir = Publish(_fx.Cache(), "capture", KeyA, ("a.txt", "hello")).Directory;
        File.WriteAllText(Path.Combine(dir, "a.txt"), "jello"); // same size, different bytes
        Assert.Equal(expected, _fx.Cache(verification, fullHashLimit: 4).Probe("capture", KeyA).Status);
        Assert.Equal(CacheProbeStatus.Corrupt, _fx.Cache(CacheVerification.Auto, fullHashLimit: 5).Probe("capture", KeyA).Status);
    }

    [Fact]
    public void Commit_keeps_an_existing_valid_entry_unless_told_to_replace_it()
    {
        var cache = _fx.Cache();
        Publish(cache, "train", KeyA, ("a.txt", "first"));
        var kept = Publish(cache, "train", KeyA, ("a.txt", "second"));
        Assert.Equal("first", File.ReadAllText(Path.Combine(kept.Directory, "a.txt")));

        var replaced = Publish(cache, "train", KeyA, replace: true, ("a.txt", "third"));
        Assert.Equal("third", File.ReadAllText(Path.Combine(replaced.Directory, "a.txt")));
        Assert.Equal(CacheProbeStatus.Valid, cache.Probe("train", KeyA).Status);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fx.CacheRoot, ".tmp")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fx.CacheRoot, ".trash")));
    }

    [Fact]
    public void An_uncommitted_pending_entry_leaves_nothing_behind()
    {
        var cache = _fx.Cache();
        using (var pending = cache.BeginWrite("train", KeyA))
        {
            File.WriteAllText(Path.Combine(pending.OutputDirectory, "half.bin"), "x");
            Assert.StartsWith(Path.Combine(_fx.CacheRoot, ".tmp"), pending.OutputDirectory);
        }
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_fx.CacheRoot, ".tmp")));
        Assert.Equal(CacheProbeStatus.Missing, cache.Probe("train", KeyA).Status);
    }

    [Fact]
    public void Stage_outputs_must_be_plain_files()
    {
        var cache = _fx.Cache();
        using var pending = cache.BeginWrite("train", KeyA);
        File.CreateSymbolicLink(Path.Combine(pending.OutputDirectory, "link"), "/etc/hostname");
        var e = Assert.Throws<InvalidOperationException>(() => cache.Commit(pending, new CacheManifest { Stage = "train", Key = KeyA, Version = 1 }));
        Assert.Equal("stage output 'link' is a symbolic link; cache entries hold plain files only", e.Message);
    }

    [Fact]
    public void Keys_and_stage_names_are_checked_before_they_become_paths()
    {
        var cache = _fx.Cache();
        Assert.Throws<ArgumentException>(() => cache.Probe("../x", KeyA));
        Assert.Throws<ArgumentException>(() => cache.Probe("train", "../../etc"));
    }
}
