namespace Runner.Core.IO;

/// <summary>Opens the tensors of a checkpoint however they are laid out.</summary>
public static class SafetensorsCheckpoint
{
    /// <summary>The single-file checkpoint name Hugging Face uses.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>
    /// <paramref name="path"/> may be a <c>.safetensors</c> file, an index (<c>*.index.json</c>), or a
    /// folder holding <see cref="ShardedSafetensors.IndexFileName"/> (preferred) or <see cref="SingleFileName"/>.
    /// A folder with neither is an error naming both places looked at.
    /// </summary>
    public static ITensorSource Open(string path)
    {
        var full = Path.GetFullPath(path);
        if (File.Exists(full))
            return full.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ShardedSafetensors.Open(full) : SafetensorsFile.Open(full);
        if (!Directory.Exists(full)) throw new RunnerException($"{full}: no such file or folder");
        var index = Path.Combine(full, ShardedSafetensors.IndexFileName);
        if (File.Exists(index)) return ShardedSafetensors.Open(index);
        var single = Path.Combine(full, SingleFileName);
        if (File.Exists(single)) return SafetensorsFile.Open(single);
        throw new RunnerException($"{full}: no checkpoint weights (looked for {ShardedSafetensors.IndexFileName} and {SingleFileName})");
    }
}
