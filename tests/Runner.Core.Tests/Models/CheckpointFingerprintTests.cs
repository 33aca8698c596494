using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Runner.Core.Models;
using Runner.Core.Tests.IO;

namespace Runner.Core.Tests.Models;

public sealed class CheckpointFingerprintTests
{
    private static readonly Dictionary<string, byte[]> Files = new()
    {
        ["config.json"] = Encoding.UTF8.GetBytes("{\"n_layer\": 2}"),
        ["model-00001-of-00002.safetensors"] = [1, 2, 3, 4, 5, 6, 7, 8],
        ["model-00002-of-00002.safetensors"] = [9, 10, 11],
        ["model.safetensors.index.json"] = Encoding.UTF8.GetBytes("{\"weight_map\": {}}"),
        ["tokenizer.json"] = Encoding.UTF8.GetBytes("{\"model\": {}}"),
        ["merges.txt"] = Encoding.UTF8.GetBytes("#version: 0.2\nĠ t\n"),
    };

    private static string Write(string folder, IReadOnlyDictionary<string, byte[]>? files = null)
    {
        Directory.CreateDirectory(folder);
        foreach (var (name, bytes) in files ?? Files) File.WriteAllBytes(Path.Combine(folder, name), bytes);
        return folder;
    }

    [Fact]
    public void The_hash_is_sha256_over_name_length_and_bytes_of_each_file_in_ordinal_order()
    {
        using var temp = new TempFolder();
        var folder = Write(temp["ckpt"]);
        File.WriteAllText(temp["ckpt/README.md"], "not hashed");
        File.WriteAllText(temp["ckpt/pytorch_model.bin"], "not hashed");
        var expected = new List<byte>();
        foreach (var (name, bytes) in Files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var n = Encoding.UTF8.GetBytes(name);
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(prefix, n.Length);
            var length = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, bytes.Length);
            expected.AddRange([.. prefix, .. n, .. length, .. bytes]);
        }
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected.ToArray())), CheckpointFingerprint.Compute(folder));
    }

    [Fact]
    public void Changing_one_byte_of_a_weight_file_changes_the_fingerprint()
    {
        using var temp = new TempFolder();
        var folder = Write(temp["ckpt"]);
        var before = CheckpointFingerprint.Compute(folder);
        var weights = temp["ckpt/model-00002-of-00002.safetensors"];
        File.WriteAllBytes(weights, [9, 10, 12]);
        File.SetLastWriteTimeUtc(weights, File.GetLastWriteTimeUtc(weights).AddSeconds(5));
        Assert.NotEqual(before, CheckpointFingerprint.Compute(folder));
    }

    [Fact]
    public void Renaming_or_moving_the_folder_keeps_the_fingerprint()
    {
        using var temp = new TempFolder();
        var before = CheckpointFingerprint.Compute(Write(temp["ckpt"]));
        Directory.Move(temp["ckpt"], temp["elsewhere"]);
        Assert.Equal(before, CheckpointFingerprint.Compute(temp["elsewhere"]));
        Assert.Equal(before, CheckpointFingerprint.Compute(Write(temp["copy"])));
    }

    [Fact]
    public void Tokenizer_and_config_files_are_part_of_it_and_unrelated_files_are_not()
    {
        using var temp = new TempFolder();
        var before = CheckpointFingerprint.Compute(Write(temp["a"]));
        Assert.Equal(before, CheckpointFingerprint.Compute(Write(temp["b"], new Dictionary<string, byte[]>(Files) { ["README.md"] = [1] })));
        Assert.NotEqual(before, CheckpointFingerprint.Compute(Write(temp["c"], new Dictionary<string, byte[]>(Files) { ["vocab.json"] = [1] })));
        Assert.NotEqual(before, CheckpointFingerprint.Compute(Write(temp["d"], new Dictionary<string, byte[]>(Files) { ["merges.txt"] = [1] })));
        Assert.NotEqual(before, CheckpointFingerprint.Compute(Write(temp["e"], new Dictionary<string, byte[]>(Files) { ["config.json"] = [1] })));
    }

    [Fact]
    public void Symlinks_into_blobs_hash_like_the_files_they_point_at()
    {
        using var temp = new TempFolder();
        var plain = CheckpointFingerprint.Compute(Write(temp["plain"]));
        var blobs = Directory.CreateDirectory(temp["blobs"]).FullName;
        Directory.CreateDirectory(temp["snapshot"]);
        foreach (var (name, bytes) in Files)
        {
            File.WriteAllBytes(Path.Combine(blobs, name + ".blob"), bytes);
            File.CreateSymbolicLink(temp[$"snapshot/{name}"], Path.Combine("..", "blobs", name + ".blob"));
        }
        Assert.Equal(plain, CheckpointFingerprint.Compute(temp["snapshot"]));
    }

    [Fact]
    public void It_is_memoized_by_path_length_and_last_write_time()
    {
        using var temp = new TempFolder();
        var folder = Write(temp["ckpt"]);
        var weights = temp["ckpt/model-00001-of-00002.safetensors"];
        var stamp = File.GetLastWriteTimeUtc(weights);
        var before = CheckpointFingerprint.Compute(folder);
        // Same length and last-write time: the memo answers without reading (what makes a 500 MB checkpoint cheap).
        File.WriteAllBytes(weights, [8, 7, 6, 5, 4, 3, 2, 1]);
        File.SetLastWriteTimeUtc(weights, stamp);
        Assert.Equal(before, CheckpointFingerprint.Compute(folder));
        File.SetLastWriteTimeUtc(weights, stamp.AddSeconds(1));
        Assert.NotEqual(before, CheckpointFingerprint.Compute(folder));
    }

    [Fact]
    public void A_folder_without_config_or_safetensors_weights_is_an_error_naming_it()
    {
        using var temp = new TempFolder();
        var noConfig = Write(temp["a"], new Dictionary<string, byte[]> { ["model.safetensors"] = [1] });
        Assert.Contains($"{noConfig} has no config.json", Assert.Throws<RunnerException>(() => CheckpointFingerprint.Compute(noConfig)).Message);
        var noWeights = Write(temp["b"], new Dictionary<string, byte[]> { ["config.json"] = [1], ["pytorch_model.bin"] = [1] });
        Assert.Contains($"{noWeights} has no *.safetensors", Assert.Throws<RunnerException>(() => CheckpointFingerprint.Compute(noWeights)).Message);
        Assert.Contains("does not exist", Assert.Throws<RunnerException>(() => CheckpointFingerprint.Compute(temp["none"])).Message);
    }
}
