using Runner.Core.Tests.Sae;
using System.Buffers.Binary;
using System.Text;
using Runner.Core.IO;
using Runner.Torch;

namespace Runner.Core.Tests.IO;

public sealed class SafetensorsFileTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>An 8-byte little-endian length (the JSON's unless <paramref name="declared"/> lies), the JSON, the data.</summary>
    private static byte[] Build(string json, byte[] data, ulong? declared = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var prefix = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, declared ?? (ulong)header.Length);
        return [.. prefix, .. header, .. data];
    }

    /// <summary>The JSON padded with spaces so the data section starts at a multiple of 8.</summary>
    private static string Aligned(string json) => json + new string(' ', (8 - json.Length % 8) % 8);

    private string Save(byte[] bytes, string name = "t.safetensors")
    {
        var path = _dir[name];
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Hand_built_file_reads_back_its_tensors_and_metadata()
    {
        // Header padded with spaces to 8-byte alignment, as writers do; data written byte by byte.
        var json = """{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]},"c":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},"d":{"dtype":"BOOL","shape":[1,2],"data_offsets":[20,22]},"e":{"dtype":"U8","shape":[0],"data_offsets":[22,22]}}""";
        json = Aligned(json);
        byte[] data =
        [
            0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x00, 0xC0, // a = [1.5, -2.0]
            0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // b = 7
            0x80, 0x3F, 0x40, 0xC0,                         // c = [1.0, -3.0] (bfloat16)
            0x01, 0x00,                                     // d = [[true, false]]
        ];
        var path = Save(Build(json, data));

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(["a", "b", "c", "d", "e"], file.Names);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal(8 + json.Length, file.DataStart);
        Assert.Equal("BF16 [2]", file.Info("c").Describe());
        using var scope = TensorScope.Enter();
        Assert.Equal([1.5f, -2.0f], file.Map("a").ToArray<float>());
        Assert.Equal(7L, file.Read("b").ToInt64());
        Assert.Empty(file.Read("b").Shape);
        Assert.Equal([1.0f, -3.0f], file.Read("c", DType.Float32).ToArray<float>());
        Assert.Equal([true, false], file.Map("d").ToArray<bool>());
        Assert.Equal([1L, 2L], file.Map("d").Shape);
        Assert.Equal([0L], file.Map("e").Shape);
        var bytes = new byte[8];
        file.CopyBytes("a", bytes);
        Assert.Equal(data[..8], bytes);
    }

    [Fact]
    public void Mapped_tensors_keep_the_mapping_alive_until_the_last_view_is_gone()
    {
        // padded so the data is aligned: misaligned data would be copied, not mapped
        var path = Save(Build(Aligned("""{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"""), [.. new[] { 1f, 2f, 3f, 4f }.SelectMany(BitConverter.GetBytes)]));
        var baseline = SaeTestKit.SettledLiveCount();
        Tensor view;
        using (var file = SafetensorsFile.Open(path))
        {
            Assert.True(IsMapped(path));
            using var whole = file.Map("x");
            view = whole.Narrow(0, 1, 2);
        }
        // the file object and the first tensor are gone; the view still reads the mapping
        Assert.True(IsMapped(path));
        Assert.Equal([2f, 3f], view.ToArray<float>());
        view.Dispose();
        Assert.False(IsMapped(path));
        Assert.Equal(baseline, SaeTestKit.SettledLiveCount());
    }

    private static bool IsMapped(string path) => File.ReadAllText("/proc/self/maps").Contains(path, StringComparison.Ordinal);

    [Fact]
    public void Writes_through_a_mapped_tensor_never_reach_the_file()
    {
        var bytes = Build("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", [.. new[] { 5f, 6f }.SelectMany(BitConverter.GetBytes)]);
        var path = Save(bytes);
        using (var file = SafetensorsFile.Open(path))
        using (var x = file.Map("x"))
        {
            x.Fill_(0);
            Assert.Equal([0f, 0f], x.ToArray<float>());
        }
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Misaligned_data_is_copied_and_still_read_correctly()
    {
        // a 1-byte tensor first puts the F32 at an odd address
        var json = """{"p":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"x":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}    """;
        var path = Save(Build(json, [9, .. BitConverter.GetBytes(2.5f)]));
        using var file = SafetensorsFile.Open(path);
        using var x = file.Map("x");
        Assert.Equal(2.5f, x.ToSingle());
    }

    public static TheoryData<string, string> MalformedCases => new()
    {
        { "short", "it is 5 bytes long, shorter than the 8-byte header length" },
        { "length beyond file", "the header length is 1000 bytes but only 58 bytes follow the length (the file is truncated)" },
        { "huge length", "the header length is 18446744073709551615 bytes, over the format's limit of 100000000" },
        { "bad json", "the header is not valid JSON:" },
        { "not an object", "the header must be a JSON object, got array" },
        { "unknown dtype", "tensor 'x' has unsupported dtype 'F8_E4M3' (supported: F32, F16, BF16, F64, I64, I32, U8, BOOL)" },
        { "wrong size", "tensor 'x' F32 [3] needs 12 bytes but data_offsets [0, 8] span 8" },
        { "out of bounds", "tensor 'x' data_offsets [0, 8] reach past the end of the data section (4 bytes): the file is truncated or the header is wrong" },
        { "overlap", "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]" },
        { "gap", "bytes [0, 4) of the data section, before tensor 'x', belong to no tensor" },
        { "trailing bytes", "the data section has 12 bytes but the tensors end at byte 8" },
        { "negative shape", "tensor 'x' shape must be an array of non-negative integers, got [-1]" },
        { "reversed offsets", "tensor 'x' data_offsets must be [begin, end] with 0 <= begin <= end, got [8,0]" },
        { "duplicate", "'x' appears twice in the header" },
        { "metadata not strings", "__metadata__.n must be a string, got number" },
        { "no dtype", "tensor 'x' has no dtype string" },
    };

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void Malformed_files_are_reported_with_the_file_and_the_problem(string kind, string expected)
    {
        static byte[] F32(int n) => new byte[4 * n];
        var bytes = kind switch
        {
            "short" => [1, 2, 3, 4, 5],
            "length beyond file" => Build("""{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", F32(1), declared: 1000),
            "huge length" => Build("{}", [], declared: ulong.MaxValue),
            "bad json" => Build("""{"x": {"dtype": """, []),
            "not an object" => Build("[1, 2]", []),
            "unknown dtype" => Build("""{"x":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}""", [0]),
            "wrong size" => Build("""{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", F32(2)),
            "out of bounds" => Build("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", F32(1)),
            "overlap" => Build("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", F32(3)),
            "gap" => Build("""{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", F32(2)),
            "trailing bytes" => Build("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", F32(3)),
            "negative shape" => Build("""{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}""", []),
            "reversed offsets" => Build("""{"x":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", F32(2)),
            "duplicate" => Build("""{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", [0]),
            "metadata not strings" => Build("""{"__metadata__":{"n":1}}""", []),
            "no dtype" => Build("""{"x":{"shape":[1],"data_offsets":[0,4]}}""", F32(1)),
            _ => throw new ArgumentException(kind),
        };
        var path = Save(bytes);
        var e = Assert.Throws<RunnerException>(() => SafetensorsFile.Open(path));
        Assert.StartsWith($"{path}: not a valid safetensors file: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_written_file_cut_short_is_an_error_not_a_crash()
    {
        var path = _dir["w.safetensors"];
        using (var scope = TensorScope.Enter())
            SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["w"] = Tensors.Ones([4, 4]) });
        var full = File.ReadAllBytes(path);
        foreach (var keep in new[] { full.Length - 1, 20, 7, 0 })
        {
            File.WriteAllBytes(path, full[..keep]);
            var e = Assert.Throws<RunnerException>(() => SafetensorsFile.Open(path));
            Assert.Contains(path, e.Message);
        }
    }

    [Fact]
    public void Missing_files_and_tensors_are_named()
    {
        var missing = _dir["nope.safetensors"];
        Assert.Equal($"{missing}: no such safetensors file", Assert.Throws<RunnerException>(() => SafetensorsFile.Open(missing)).Message);
        var path = Save(Build("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}""", [1, 2]));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal($"{path}: no tensor 'c' (it has a, b)", Assert.Throws<RunnerException>(() => file.Map("c")).Message);
    }

    [Fact]
    public void Sharded_checkpoint_serves_each_tensor_from_the_shard_the_index_names()
    {
        using (var scope = TensorScope.Enter())
        {
            SafetensorsWriter.Write(_dir["model-00001-of-00002.safetensors"], new Dictionary<string, Tensor> { ["wte"] = Tensors.Full([2, 3], 1.0) });
            SafetensorsWriter.Write(_dir["model-00002-of-00002.safetensors"], new Dictionary<string, Tensor> { ["h.0.w"] = Tensors.Full([3], 2.0, DType.BFloat16), ["extra"] = Tensors.Zeros([1]) });
        }
        File.WriteAllText(_dir["model.safetensors.index.json"], """
            { "metadata": { "total_size": 30 },
              "weight_map": { "wte": "model-00001-of-00002.safetensors", "h.0.w": "model-00002-of-00002.safetensors" } }
            """);

        using var checkpoint = SafetensorsCheckpoint.Open(_dir.Path);
        var sharded = Assert.IsType<ShardedSafetensors>(checkpoint);
        Assert.Equal(["h.0.w", "wte"], checkpoint.Names);
        Assert.Equal(2, sharded.Shards.Count);
        Assert.Equal(30, sharded.TotalSize);
        Assert.False(checkpoint.Contains("extra"));
        using var scope2 = TensorScope.Enter();
        Assert.Equal(Enumerable.Repeat(1f, 6), checkpoint.Read("wte").ToArray<float>());
        Assert.Equal(DType.BFloat16, checkpoint.Info("h.0.w").DType);
        Assert.Equal([2f, 2f, 2f], checkpoint.Map("h.0.w").To(DType.Float32).ToArray<float>());
    }

    [Fact]
    public void Sharded_index_that_names_a_missing_shard_or_tensor_is_an_error()
    {
        using (var scope = TensorScope.Enter())
            SafetensorsWriter.Write(_dir["a.safetensors"], new Dictionary<string, Tensor> { ["x"] = Tensors.Zeros([1]) });
        var index = _dir["model.safetensors.index.json"];

        File.WriteAllText(index, """{ "weight_map": { "x": "a.safetensors", "y": "b.safetensors" } }""");
        Assert.Equal($"{index}: weight_map.y names shard 'b.safetensors', which does not exist in {_dir.Path}",
            Assert.Throws<RunnerException>(() => ShardedSafetensors.Open(index)).Message);

        File.WriteAllText(index, """{ "weight_map": { "x": "a.safetensors", "z": "a.safetensors" } }""");
        Assert.Equal($"{index}: weight_map says 'z' is in 'a.safetensors', but that file has no such tensor",
            Assert.Throws<RunnerException>(() => ShardedSafetensors.Open(index)).Message);

        File.WriteAllText(index, """{ "weight_map": { "x": "../a.safetensors" } }""");
        Assert.Contains("which is outside the checkpoint folder", Assert.Throws<RunnerException>(() => ShardedSafetensors.Open(index)).Message);

        File.WriteAllText(index, """{ "weights": {} }""");
        Assert.Equal($"{index}: the index has no weight_map object", Assert.Throws<RunnerException>(() => ShardedSafetensors.Open(index)).Message);
    }

    [Fact]
    public void A_folder_without_weights_names_the_places_looked_at()
    {
        var e = Assert.Throws<RunnerException>(() => SafetensorsCheckpoint.Open(_dir.Path));
        Assert.Equal($"{_dir.Path}: no checkpoint weights (looked for model.safetensors.index.json and model.safetensors)", e.Message);
    }
}
