using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Runner.Core.Models;

/// <summary>
/// A content hash of a checkpoint folder, for cache keys: capture re-runs when the weights, the config
/// or the tokenizer change, and not when the folder is moved or renamed.
/// </summary>
public static class CheckpointFingerprint
{
    /// <summary>The tokenizer files hashed when present.</summary>
    public static IReadOnlyList<string> TokenizerFiles { get; } =
        ["tokenizer.json", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"];

    // (folder, [(file, final target, length, last write)]) -> hash: a file that changes on disk changes the key.
    private static readonly ConcurrentDictionary<string, string> Memo = new(StringComparer.Ordinal);

    /// <summary>
    /// SHA-256 (lower-case hex) over config.json, every *.safetensors file, model.safetensors.index.json
    /// and the <see cref="TokenizerFiles"/> that are present, in ordinal order of file name; each file
    /// contributes its name (UTF-8, length-prefixed), its length (int64 little-endian) and its bytes
    /// (symlinks are followed, as in the Hugging Face cache). Memoized in-process by the full path,
    /// length and last-write time of every file, so a large checkpoint is read once per process.
    /// Throws <see cref="RunnerException"/> when the folder, config.json or the weights are missing.
    /// </summary>
    public static string Compute(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var folder = Path.GetFullPath(directory);
        if (!Directory.Exists(folder)) throw new RunnerException($"checkpoint folder {folder} does not exist");
        var files = SelectFiles(folder);

        var key = new StringBuilder(folder);
        foreach (var file in files)
        {
            var info = Target(file);
            key.Append('\n').Append(file).Append('|').Append(info.FullName).Append('|')
               .Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks);
        }
        return Memo.GetOrAdd(key.ToString(), _ => Hash(files));
    }

    /// <summary>The files that are hashed, as absolute paths in ordinal order of name.</summary>
    private static List<string> SelectFiles(string folder)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(path);
            if (name == HfModelLocator.ConfigFile || name == "model.safetensors.index.json" || TokenizerFiles.Contains(name)
                || name.EndsWith(".safetensors", StringComparison.Ordinal))
                names.Add(name);
        }
        if (!names.Contains(HfModelLocator.ConfigFile))
            throw new RunnerException($"checkpoint folder {folder} has no {HfModelLocator.ConfigFile}");
        if (!names.Any(n => n.EndsWith(".safetensors", StringComparison.Ordinal)))
            throw new RunnerException($"checkpoint folder {folder} has no *.safetensors weights (other weight formats are not read)");
        return names.Select(n => Path.Combine(folder, n)).ToList();
    }

    /// <summary>The file a path finally points at (itself when it is no symlink); a dangling link is an error.</summary>
    private static FileInfo Target(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
            info = info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info;
        if (!info.Exists) throw new RunnerException($"checkpoint file {path} is a symlink to the missing {info.FullName}");
        return info;
    }

    private static string Hash(List<string> files)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        var buffer = new byte[1 << 20];
        foreach (var path in files)
        {
            var name = Encoding.UTF8.GetBytes(Path.GetFileName(path));
            BinaryPrimitives.WriteInt32LittleEndian(number, name.Length);
            sha.AppendData(number[..4]);
            sha.AppendData(name);
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            BinaryPrimitives.WriteInt64LittleEndian(number, stream.Length);
            sha.AppendData(number);
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) sha.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
