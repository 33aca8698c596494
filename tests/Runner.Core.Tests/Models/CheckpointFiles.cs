using System.Text.Json.Nodes;
using Runner.Core.IO;
using Runner.Torch;

namespace Runner.Core.Tests.Models;

/// <summary>Rewrites saved checkpoints into the other layouts Hugging Face uses.</summary>
internal static class CheckpointFiles
{
    /// <summary>Splits folder/model.safetensors into two shards plus model.safetensors.index.json, and deletes it.</summary>
    public static void Shard(string folder)
    {
        using var scope = TensorScope.Enter();
        var single = Path.Combine(folder, "model.safetensors");
        var tensors = new Dictionary<string, Tensor>();
        using (var file = SafetensorsFile.Open(single))
            foreach (var name in file.Names) tensors[name] = file.Read(name);
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var weightMap = new JsonObject();
        for (var part = 0; part < 2; part++)
        {
            var fileName = $"model-0000{part + 1}-of-00002.safetensors";
            var mine = names.Where((_, i) => i % 2 == part).ToDictionary(n => n, n => tensors[n]);
            SafetensorsWriter.Write(Path.Combine(folder, fileName), mine, new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var n in mine.Keys) weightMap[n] = fileName;
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = 0 }, ["weight_map"] = weightMap };
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), index.ToJsonString());
        File.Delete(single);
    }

    /// <summary>Rewrites folder/model.safetensors through <paramref name="edit"/> (name -> tensor map, edited in place).</summary>
    public static void Edit(string folder, Action<Dictionary<string, Tensor>> edit)
    {
        using var scope = TensorScope.Enter();
        var path = Path.Combine(folder, "model.safetensors");
        var tensors = new Dictionary<string, Tensor>();
        using (var file = SafetensorsFile.Open(path))
            foreach (var name in file.Names) tensors[name] = file.Read(name);
        edit(tensors);
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }
}
