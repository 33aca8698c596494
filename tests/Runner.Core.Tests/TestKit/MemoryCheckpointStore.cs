using Runner.Core.Training;
using Runner.Torch;

namespace Runner.Core.Tests.TestKit;

/// <summary>An in-memory <see cref="ICheckpointStore"/> that keeps every save (Load returns the latest, or <see cref="LoadIndex"/>).</summary>
internal sealed class MemoryCheckpointStore : ICheckpointStore, IDisposable
{
    public List<(Dictionary<string, Tensor> Tensors, string State)> Saves { get; } = [];

    /// <summary>Which save Load returns (null: the latest).</summary>
    public int? LoadIndex { get; set; }

    public void Save(TrainingCheckpoint checkpoint)
    {
        var copies = new Dictionary<string, Tensor>();
        using (var scope = TensorScope.Enter())
            foreach (var (name, t) in checkpoint.Tensors) copies[name] = scope.Keep(t.Clone()).DetachFromScope();
        Saves.Add((copies, checkpoint.State));
    }

    public TrainingCheckpoint? Load()
    {
        if (Saves.Count == 0) return null;
        var (tensors, state) = Saves[LoadIndex ?? Saves.Count - 1];
        return new TrainingCheckpoint(tensors.ToDictionary(t => t.Key, t => t.Value.Clone()), state);
    }

    public void Dispose()
    {
        foreach (var (tensors, _) in Saves)
            foreach (var t in tensors.Values) t.Dispose();
    }
}
