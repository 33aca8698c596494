using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Runner.Pipeline.Runs;

namespace Runner.Pipeline.Tests.Tables;

/// <summary>
/// Builds a run folder from hand-written stage outputs: each stage gets an entry folder (as the cache
/// would) holding the given files, and <see cref="RunFolder.Write"/> links them in.
/// </summary>
internal sealed class FakeRun(string root, string experiment, string runName)
{
    private readonly List<RunStage> _stages = [];

    public int Point { get; init; }

    public IReadOnlyList<KeyValuePair<string, JsonNode?>> Varied { get; init; } = [];

    /// <summary>Adds a stage whose entry holds <paramref name="files"/> (name -> text or bytes).</summary>
    public FakeRun Stage(string name, IReadOnlyDictionary<string, object> files, IReadOnlyDictionary<string, double>? metrics = null)
    {
        var entry = Path.Combine(root, "cache", name, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(entry);
        foreach (var (file, content) in files)
        {
            var path = Path.Combine(entry, file);
            if (content is byte[] bytes) File.WriteAllBytes(path, bytes);
            else File.WriteAllText(path, (string)content);
        }
        _stages.Add(new RunStage { Name = name, Key = new string('0', 64), Status = StageStatus.Computed, Seconds = 1, Entry = entry, Metrics = metrics ?? new Dictionary<string, double>() });
        return this;
    }

    /// <summary>Writes the run folder and returns it.</summary>
    public string Write() => RunFolder.Write(Path.Combine(root, "runs"), new RunRecord
    {
        Experiment = experiment,
        RunName = runName,
        Point = Point,
        SpecHash = new string('a', 64),
        Varied = Varied,
        Stages = _stages,
    }, "name: test\n");

    /// <summary>A safetensors file of 1-D F64 (or F32) tensors, written by hand (independent of Runner's writer).</summary>
    public static byte[] Safetensors(IReadOnlyList<(string Name, double[] Values)> tensors, bool float32 = false)
    {
        var header = new JsonObject();
        var data = new MemoryStream();
        foreach (var (name, values) in tensors)
        {
            var start = data.Length;
            if (float32) data.Write(MemoryMarshal.AsBytes(values.Select(v => (float)v).ToArray().AsSpan()));
            else data.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            header[name] = new JsonObject { ["dtype"] = float32 ? "F32" : "F64", ["shape"] = new JsonArray(values.Length), ["data_offsets"] = new JsonArray(start, data.Length) };
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = new byte[(json.Length + 7) / 8 * 8];
        Array.Fill(padded, (byte)' ');
        json.CopyTo(padded, 0);
        var file = new MemoryStream();
        file.Write(BitConverter.GetBytes((ulong)padded.Length));
        file.Write(padded);
        data.WriteTo(file);
        return file.ToArray();
    }
}
