using Runner.Core.IO;
using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Pipeline.Builtin;

/// <summary>
/// Training checkpoints in a folder: tensors in checkpoint.safetensors, the rest in state.json.
/// Both are written into a temp folder that replaces the previous checkpoint by rename, so a crash
/// mid-write leaves the last complete checkpoint.
/// </summary>
internal sealed class SafetensorsCheckpointStore(string folder) : ICheckpointStore
{
    private const string TensorsFile = "checkpoint.safetensors";
    private const string StateFile = "state.json";

    public void Save(TrainingCheckpoint checkpoint)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(folder))!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(folder)}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            SafetensorsWriter.Write(Path.Combine(temp, TensorsFile), checkpoint.Tensors);
            File.WriteAllText(Path.Combine(temp, StateFile), checkpoint.State);
            var old = Directory.Exists(folder) ? folder + $".old.{Guid.NewGuid():N}" : null;
            if (old is not null) Directory.Move(folder, old);
            Directory.Move(temp, folder);
            if (old is not null) Directory.Delete(old, recursive: true);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    public TrainingCheckpoint? Load()
    {
        var tensors = Path.Combine(folder, TensorsFile);
        var state = Path.Combine(folder, StateFile);
        if (!File.Exists(tensors) || !File.Exists(state)) return null;
        using var file = SafetensorsFile.Open(tensors);
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in file.Names) loaded[name] = file.Read(name);
        return new TrainingCheckpoint(loaded, File.ReadAllText(state));
    }
}
