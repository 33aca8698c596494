using System.Diagnostics;
using Runner.Core.IO;
using Runner.Torch;

namespace Runner.Core.Tests.IO;

/// <summary>
/// Cross-checks with an independent implementation: Python's json and numpy (Debian python3-numpy)
/// read what Runner writes and write what Runner reads. Skipped where /usr/bin/python3 has no numpy.
/// </summary>
public sealed class SafetensorsPythonCrossCheckTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (int Code, string Out) RunPython(string script, params string[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(script);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output.Trim());
    }

    private static bool HasNumpy() => File.Exists(Python) && RunPython("import numpy").Code == 0;

    [Fact]
    public void Numpy_reads_what_Runner_writes()
    {
        Assert.SkipUnless(HasNumpy(), "needs /usr/bin/python3 with numpy");
        var path = _dir["r.safetensors"];
        using (var scope = TensorScope.Enter())
        {
            SafetensorsWriter.Write(path, new Dictionary<string, Tensor>
            {
                ["w"] = Tensors.Arange(0, 6, 1, DType.Float32).Reshape(2, 3) / 4,
                ["h"] = Tensors.From([1.5f, -2.25f]).To(DType.BFloat16),
                ["ids"] = Tensors.From([3L, -4L, 5L]),
            }, new Dictionary<string, string> { ["who"] = "runner" });
        }
        var (code, output) = RunPython("""
            import json, struct, sys, numpy as np
            b = open(sys.argv[1], 'rb').read()
            n = struct.unpack('<Q', b[:8])[0]
            h = json.loads(b[8:8 + n]); d = b[8 + n:]
            def arr(k, t):
                s, e = h[k]['data_offsets']; return np.frombuffer(d[s:e], dtype=t).reshape(h[k]['shape'])
            bf = (arr('h', np.uint16).astype(np.uint32) << 16).view(np.float32)
            print(h['__metadata__']['who'], (8 + n) % 8, arr('w', np.float32).tolist(), bf.tolist(), arr('ids', np.int64).tolist())
            """, path);
        Assert.Equal(0, code);
        Assert.Equal("runner 0 [[0.0, 0.25, 0.5], [0.75, 1.0, 1.25]] [1.5, -2.25] [3, -4, 5]", output);
    }

    [Fact]
    public void Runner_reads_what_numpy_writes()
    {
        Assert.SkipUnless(HasNumpy(), "needs /usr/bin/python3 with numpy");
        var path = _dir["p.safetensors"];
        var (code, output) = RunPython("""
            import json, struct, sys, numpy as np
            tensors = {'a': np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5, 'b': np.array([7, 8], dtype=np.int32),
                       'c': np.array([0.5, -1, 2], dtype=np.float16), 'd': np.array(2.5, dtype=np.float64)}
            order = sorted(tensors, key=lambda k: (-tensors[k].itemsize, k))
            header, offset = {'__metadata__': {'made_by': 'numpy'}}, 0
            names = {np.dtype(np.float32): 'F32', np.dtype(np.int32): 'I32', np.dtype(np.float16): 'F16', np.dtype(np.float64): 'F64'}
            for k in order:
                t = tensors[k]; header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + t.nbytes]}; offset += t.nbytes
            text = json.dumps(header, separators=(',', ':')).encode()
            text += b' ' * ((8 - len(text) % 8) % 8)
            with open(sys.argv[1], 'wb') as f:
                f.write(struct.pack('<Q', len(text))); f.write(text)
                for k in order: f.write(tensors[k].tobytes())
            """, path);
        Assert.True(code == 0, output);
        using var file = SafetensorsFile.Open(path);
        using var scope = TensorScope.Enter();
        Assert.Equal("numpy", file.Metadata["made_by"]);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i - 5.5f), file.Map("a").ToArray<float>());
        Assert.Equal([3L, 4L], file.Info("a").Shape);
        Assert.Equal([7, 8], file.Map("b").ToArray<int>());
        Assert.Equal([0.5f, -1f, 2f], file.Read("c", DType.Float32).ToArray<float>());
        Assert.Equal(2.5, file.Map("d").ToDouble());
        Assert.Empty(file.Info("d").Shape);
    }
}
