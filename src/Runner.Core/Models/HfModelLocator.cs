using System.Text.RegularExpressions;

namespace Runner.Core.Models;

/// <summary>
/// Finds a model checkpoint folder offline: a local path, or an id in the local Hugging Face hub cache
/// (nothing is downloaded). The cache layout is huggingface_hub's:
/// <code>
/// &lt;root&gt;/models--ORG--NAME/refs/main               the commit hash the branch points at
/// &lt;root&gt;/models--ORG--NAME/snapshots/&lt;commit&gt;/...  the files, symlinks into ../../blobs/
/// </code>
/// An id without an org (<c>gpt2</c>) is <c>models--gpt2</c>. Roots are searched in the order of
/// <see cref="CacheRoots"/>; the first root whose snapshot resolves completely wins.
/// </summary>
public static partial class HfModelLocator
{
    /// <summary>The file every checkpoint folder must hold.</summary>
    public const string ConfigFile = "config.json";

    /// <summary>
    /// Resolves exactly one of <paramref name="path"/> (a local folder holding config.json) or
    /// <paramref name="id"/> (a Hugging Face id looked up in the local cache). <paramref name="revision"/>
    /// applies to ids only: null means the cache's refs/main; otherwise a ref name (the file refs/&lt;name&gt;)
    /// or a commit hash (full, or an unambiguous prefix of at least 7 hex digits).
    /// <paramref name="environment"/> reads environment variables (production passes
    /// <see cref="Environment.GetEnvironmentVariable(string)"/>). Throws <see cref="RunnerException"/>
    /// naming every place looked and what was missing there.
    /// </summary>
    public static ResolvedModel Resolve(string? path, string? id, string? revision, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var hasPath = !string.IsNullOrWhiteSpace(path);
        var hasId = !string.IsNullOrWhiteSpace(id);
        if (hasPath == hasId)
            throw new RunnerException(hasPath
                ? $"model: set either model.path ('{path}') or model.id ('{id}'), not both"
                : "model: set model.path (a local checkpoint folder) or model.id (a Hugging Face id in the local cache)", 2);
        if (hasPath)
        {
            if (revision is not null)
                throw new RunnerException($"model.revision ('{revision}') applies to model.id only; model.path '{path}' is used as it is", 2);
            return ResolvePath(path!, environment);
        }
        return ResolveId(id!.Trim(), revision, environment);
    }

    /// <summary>
    /// The cache roots looked in, in order, each once: <c>HF_HUB_CACHE</c>; <c>HF_HOME</c>/hub;
    /// <c>XDG_CACHE_HOME</c>/huggingface/hub; <c>HOME</c>/.cache/huggingface/hub. Unset or empty
    /// variables are skipped; a leading <c>~</c> is expanded with HOME.
    /// </summary>
    public static IReadOnlyList<string> CacheRoots(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var home = Value(environment, "HOME");
        var candidates = new List<string?>
        {
            Value(environment, "HF_HUB_CACHE"),
            Value(environment, "HF_HOME") is { } hfHome ? Path.Combine(hfHome, "hub") : null,
            Value(environment, "XDG_CACHE_HOME") is { } xdg ? Path.Combine(xdg, "huggingface", "hub") : null,
            home is null ? null : Path.Combine(home, ".cache", "huggingface", "hub"),
        };
        var roots = new List<string>();
        foreach (var candidate in candidates)
        {
            if (candidate is null) continue;
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(ExpandHome(candidate, home)));
            if (!roots.Contains(full, StringComparer.Ordinal)) roots.Add(full);
        }
        return roots;
    }

    private static ResolvedModel ResolvePath(string path, Func<string, string?> environment)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(ExpandHome(path.Trim(), Value(environment, "HOME"))));
        if (!Directory.Exists(full))
            throw new RunnerException($"model.path '{path}': no such folder ({full})", 2);
        var config = Path.Combine(full, ConfigFile);
        if (!FileExists(config))
            throw new RunnerException($"model.path '{path}': the folder {full} has no {ConfigFile}{BrokenLinkNote(config)} (expected a Hugging Face checkpoint folder: config.json and *.safetensors)", 2);
        return new ResolvedModel(full, null, null, "path");
    }

    private static ResolvedModel ResolveId(string id, string? revision, Func<string, string?> environment)
    {
        if (!IdPattern().IsMatch(id) || id.Split('/').Any(part => part is "." or ".."))
            throw new RunnerException($"model.id '{id}' is not a Hugging Face model id (expected NAME or ORG/NAME, e.g. gpt2 or EleutherAI/pythia-70m)", 2);
        if (revision is not null && (revision.Length == 0 || revision.Contains('\\') || revision.Split('/').Any(part => part is "" or "." or "..")))
            throw new RunnerException($"model.revision '{revision}' is not a ref name or commit hash", 2);

        var folderName = "models--" + id.Replace("/", "--", StringComparison.Ordinal);
        var roots = CacheRoots(environment);
        if (roots.Count == 0)
            throw new RunnerException($"model.id '{id}': no Hugging Face cache location is known (HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME and HOME are all unset); set model.path to a local folder holding {ConfigFile}", 2);

        var misses = new List<string>();
        foreach (var root in roots)
        {
            var modelFolder = Path.Combine(root, folderName);
            var (snapshot, commit, miss) = Directory.Exists(modelFolder)
                ? FindSnapshot(modelFolder, folderName, revision ?? "main", explicitRevision: revision is not null)
                : (null, null, $"no folder {folderName}");
            if (snapshot is not null) return new ResolvedModel(snapshot, id, commit, "hf-cache");
            misses.Add($"{root}: {miss}");
        }
        var what = revision is null ? $"model.id '{id}'" : $"model.id '{id}' at revision '{revision}'";
        throw new RunnerException(
            $"{what} is not in the local Hugging Face cache (Runner never downloads). Looked in: {string.Join("; ", misses)}. " +
            $"Download it beforehand (e.g. `huggingface-cli download {id}`), or set model.path to a local folder holding {ConfigFile} and the weights", 2);
    }

    /// <summary>The snapshot folder and commit for <paramref name="revision"/> in one model folder, or why there is none.</summary>
    private static (string? Snapshot, string? Commit, string? Miss) FindSnapshot(string modelFolder, string folderName, string revision, bool explicitRevision)
    {
        var snapshots = Path.Combine(modelFolder, "snapshots");
        var refFile = Path.Combine(modelFolder, "refs", revision.Replace('/', Path.DirectorySeparatorChar));
        string commit;
        if (File.Exists(refFile))
        {
            commit = File.ReadAllText(refFile).Trim();
            if (!HexPattern().IsMatch(commit) || !Directory.Exists(Path.Combine(snapshots, commit)))
                return (null, null, $"{folderName}/refs/{revision} points at snapshot '{commit}', which is missing (no folder {folderName}/snapshots/{commit})");
        }
        else if (explicitRevision && revision.Length >= 7 && HexPattern().IsMatch(revision))
        {
            var matches = Directory.Exists(snapshots)
                ? Directory.EnumerateDirectories(snapshots).Select(Path.GetFileName)
                    .Where(n => n!.StartsWith(revision, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList()
                : [];
            if (matches.Count == 0)
                return (null, null, $"no ref refs/{revision} and no snapshot under {folderName}/snapshots/ whose commit starts with '{revision}'");
            if (matches.Count > 1)
                return (null, null, $"the commit prefix '{revision}' matches several snapshots ({string.Join(", ", matches)}); give more digits");
            commit = matches[0]!;
        }
        else
        {
            return (null, null, explicitRevision
                ? $"no ref {folderName}/refs/{revision} (and '{revision}' is no commit hash of at least 7 hex digits)"
                : $"no {folderName}/refs/main (set model.revision to a snapshot's commit hash)");
        }

        var snapshot = Path.Combine(snapshots, commit);
        var config = Path.Combine(snapshot, ConfigFile);
        if (!FileExists(config))
            return (null, null, $"snapshot {folderName}/snapshots/{commit} has no {ConfigFile}{BrokenLinkNote(config)}");
        return (snapshot, commit, null);
    }

    /// <summary>True when <paramref name="file"/> is a file or a symlink to one (.NET's File.Exists is also true for a dangling symlink).</summary>
    private static bool FileExists(string file)
    {
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists) return false;
            return info.LinkTarget is null || info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true };
        }
        catch (IOException)
        {
            return false;   // a symlink loop
        }
    }

    /// <summary>", a symlink to the missing X" when <paramref name="file"/> is a dangling symlink (a blob deleted from the cache).</summary>
    private static string BrokenLinkNote(string file)
    {
        try
        {
            var info = new FileInfo(file);
            return info.LinkTarget is { } target ? $" (it is a symlink to the missing {info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? target})" : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string? Value(Func<string, string?> environment, string name) =>
        environment(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    private static string ExpandHome(string path, string? home) =>
        home is not null && (path == "~" || path.StartsWith("~/", StringComparison.Ordinal)) ? home + path[1..] : path;

    // huggingface_hub's repo-id rule: letters, digits, '-', '_', '.', with at most one '/' between org and name ('.' and '..' are refused above).
    [GeneratedRegex(@"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[0-9a-fA-F]+$", RegexOptions.CultureInvariant)]
    private static partial Regex HexPattern();
}
