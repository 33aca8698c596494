using Runner.Core.Training;

namespace Runner.Core.Streaming;

/// <summary>One SAE trained from a shared stream: its trainer, which columns of a row it reads, and what became of it.</summary>
public sealed class StreamMember
{
    /// <summary>The member's trainer (not started yet: <see cref="StreamTraining.Run"/> starts it).</summary>
    public required Trainer Trainer { get; init; }

    /// <summary>First column of the member's hook point in a stream row.</summary>
    public int Offset { get; init; }

    /// <summary>Columns the member reads (its SAE's d_in).</summary>
    public required int Width { get; init; }

    /// <summary>Where its checkpoints go (null: none).</summary>
    public ICheckpointStore? Checkpoints { get; init; }

    /// <summary>Its training curve points.</summary>
    public IProgress<TrainingPoint>? Progress { get; init; }

    /// <summary>The finished run's result; null when the member failed.</summary>
    public TrainingResult? Result { get; internal set; }

    /// <summary>Why the member failed (divergence, a bad checkpoint); the others go on.</summary>
    public Exception? Error { get; internal set; }

    /// <summary>Seconds spent in this member's training steps.</summary>
    public double StepSeconds { get; internal set; }
}
