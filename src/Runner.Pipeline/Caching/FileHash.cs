using System.Security.Cryptography;

namespace Runner.Pipeline.Caching;

/// <summary>SHA-256 of files, streamed in 1 MiB reads.</summary>
internal static class FileHash
{
    /// <summary>Lower-case hex SHA-256 of the file's bytes.</summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
