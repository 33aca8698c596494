using System.Security.Cryptography;
using System.Text;

namespace Runner.Core.Tests.Models;

/// <summary>Writes a Hugging Face hub cache layout: blobs/ by content hash, snapshots/&lt;commit&gt;/ of symlinks into it, refs/.</summary>
internal static class HfCacheBuilder
{
    public const string CommitA = "0123456789abcdef0123456789abcdef01234567";
    public const string CommitB = "0123456fedcba9876543210fedcba98765432100";
    public const string CommitC = "89abcdef0123456789abcdef0123456789abcdef";

    /// <summary>models--ORG--NAME under <paramref name="root"/>.</summary>
    public static string ModelFolder(string root, string id) => Path.Combine(root, "models--" + id.Replace("/", "--"));

    /// <summary>A snapshot whose files are relative symlinks into blobs/, as huggingface_hub writes them.</summary>
    public static string AddSnapshot(string root, string id, string commit, IReadOnlyDictionary<string, string>? files = null)
    {
        var model = ModelFolder(root, id);
        var blobs = Directory.CreateDirectory(Path.Combine(model, "blobs")).FullName;
        var snapshot = Directory.CreateDirectory(Path.Combine(model, "snapshots", commit)).FullName;
        files ??= new Dictionary<string, string> { ["config.json"] = $"{{\"model_type\": \"gpt2\", \"commit\": \"{commit}\"}}" };
        foreach (var (name, content) in files)
        {
            var blob = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
            File.WriteAllText(Path.Combine(blobs, blob), content);
            File.CreateSymbolicLink(Path.Combine(snapshot, name), Path.Combine("..", "..", "blobs", blob));
        }
        return snapshot;
    }

    /// <summary>refs/&lt;name&gt; holding <paramref name="commit"/> (no trailing newline, as huggingface_hub writes it).</summary>
    public static void SetRef(string root, string id, string name, string commit)
    {
        var path = Path.Combine(ModelFolder(root, id), "refs", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, commit);
    }

    /// <summary>An environment lookup over a fixed table (unset names read as null).</summary>
    public static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;
}
