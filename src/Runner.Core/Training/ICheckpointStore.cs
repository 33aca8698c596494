namespace Runner.Core.Training;

/// <summary>
/// Where a training run keeps its latest checkpoint (the pipeline writes safetensors + JSON; tests
/// keep it in memory). One checkpoint per store: <see cref="Save"/> replaces the previous one, and
/// must do so atomically (a crash leaves the old or the new one, never a mix).
/// </summary>
public interface ICheckpointStore
{
    /// <summary>
    /// Stores <paramref name="checkpoint"/>. Its tensors stay owned by the caller and may be freed
    /// when this returns: write or copy them before returning.
    /// </summary>
    void Save(TrainingCheckpoint checkpoint);

    /// <summary>The latest checkpoint, or null when none was saved; its tensors belong to the caller's scope.</summary>
    TrainingCheckpoint? Load();
}
