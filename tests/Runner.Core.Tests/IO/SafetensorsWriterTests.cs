using System.Buffers.Binary;
using System.Text;
using Runner.Core.IO;
using Runner.Torch;

namespace Runner.Core.Tests.IO;

public sealed class SafetensorsWriterTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Output_matches_known_bytes()
    {
        var path = _dir["k.safetensors"];
        using (var scope = TensorScope.Enter())
        {
            SafetensorsWriter.Write(path, new Dictionary<string, Tensor>
            {
                ["b"] = Tensors.From([3L]),
                ["a"] = Tensors.From([1.0f, -2.0f]),
            }, new Dictionary<string, string> { ["m"] = "x" });
        }
        var json = """{"__metadata__":{"m":"x"},"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"b":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""";
        var padded = json + new string(' ', (8 - (8 + json.Length) % 8) % 8);
        byte[] expected =
        [
            .. BitConverter.GetBytes((ulong)padded.Length), .. Encoding.ASCII.GetBytes(padded),
            0x03, 0, 0, 0, 0, 0, 0, 0,            // b: widest dtype first
            0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0, // a
        ];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Every_dtype_round_trips()
    {
        var path = _dir["all.safetensors"];
        using var scope = TensorScope.Enter();
        using var g = new Generator(3);
        var tensors = new Dictionary<string, Tensor>
        {
            ["f32"] = Tensors.Randn([3, 4, 5], g),
            ["f64"] = Tensors.Randn([2], g, DType.Float64),
            ["f16"] = Tensors.Randn([7], g, DType.Float16),
            ["bf16"] = Tensors.Randn([3, 3], g, DType.BFloat16),
            ["i64"] = Tensors.Arange(-5, 6, 1, DType.Int64),
            ["i32"] = Tensors.Arange(0, 9, 1, DType.Int32),
            ["u8"] = Tensors.Arange(250, 256, 1, DType.UInt8),
            ["bool"] = Tensors.From([true, false, true]),
            ["scalar"] = Tensors.Scalar(4.25),
            ["empty"] = Tensors.Zeros([0, 3]),
        };
        SafetensorsWriter.Write(path, tensors);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), file.Names);
        foreach (var (name, t) in tensors)
        {
            var read = file.Read(name);
            Assert.Equal(t.DType, read.DType);
            Assert.Equal(t.Shape, read.Shape);
            Assert.True(t.Equal(read), name);
        }
    }

    [Fact]
    public void Output_is_deterministic_sorted_and_aligned()
    {
        using var scope = TensorScope.Enter();
        var a = new Dictionary<string, Tensor> { ["z"] = Tensors.Ones([3], DType.UInt8), ["m"] = Tensors.Ones([1], DType.Float16), ["a"] = Tensors.Ones([2], DType.Float64) };
        var b = new Dictionary<string, Tensor> { ["a"] = a["a"], ["m"] = a["m"], ["z"] = a["z"] };
        SafetensorsWriter.Write(_dir["1.safetensors"], a, new Dictionary<string, string> { ["y"] = "2", ["x"] = "1" });
        SafetensorsWriter.Write(_dir["2.safetensors"], b, new Dictionary<string, string> { ["x"] = "1", ["y"] = "2" });
        var bytes = File.ReadAllBytes(_dir["1.safetensors"]);
        Assert.Equal(bytes, File.ReadAllBytes(_dir["2.safetensors"]));

        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        var header = Encoding.UTF8.GetString(bytes, 8, n);
        Assert.StartsWith("""{"__metadata__":{"x":"1","y":"2"},"a":""", header);
        Assert.True(header.IndexOf("\"m\"", StringComparison.Ordinal) < header.IndexOf("\"z\"", StringComparison.Ordinal));
        using var file = SafetensorsFile.Open(_dir["1.safetensors"]);
        Assert.All(file.Tensors, t => Assert.Equal(0, (file.DataStart + t.Begin) % t.DType.ElementSize()));
    }

    [Fact]
    public void Views_and_tensors_requiring_grad_are_written_by_value()
    {
        using var scope = TensorScope.Enter();
        var w = Tensors.Arange(0, 12, 1, DType.Float32).Reshape(3, 4).RequiresGrad_();
        var path = _dir["v.safetensors"];
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["wt"] = w.T, ["w"] = w });
        using var file = SafetensorsFile.Open(path);
        Assert.True(file.Read("wt").Equal(w.Detach().T.Contiguous()));
        Assert.Equal([4L, 3L], file.Info("wt").Shape);
    }

    [Fact]
    public void Replacing_a_file_leaves_no_temporary_files()
    {
        var path = _dir["r.safetensors"];
        using var scope = TensorScope.Enter();
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["x"] = Tensors.Zeros([2]) });
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["x"] = Tensors.Ones([3]) });
        Assert.Equal(["r.safetensors"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([1f, 1f, 1f], file.Read("x").ToArray<float>());
    }
}
