using System.Text.Json.Nodes;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

/// <summary>
/// A stage that can compute several points' entries together, from one pass over an input they share
/// (<c>train</c> with <c>data.store: stream</c>: one model pass feeds every SAE). Points whose
/// <see cref="GroupSlice"/> and input keys are equal form a group; the executor computes the group's missing
/// entries with one <see cref="RunGroupAsync"/> when the first of them is needed, and publishes each entry
/// under its own key as usual.
/// </summary>
public interface IGroupStage : IStage
{
    /// <summary>What the members of a group share (the stream); null = the point is computed alone, as by any stage.</summary>
    JsonNode? GroupSlice(ResolvedPoint point);

    /// <summary>
    /// Inputs whose keys members share (with <see cref="GroupSlice"/> they make the group's id); the others may
    /// differ per member (train's capture holds each hook point's own held-out set).
    /// </summary>
    IReadOnlyList<string> SharedInputs { get; }

    /// <summary>
    /// Computes every context's output (one per point, in its own output folder). Returns one outcome per context,
    /// in order: a member that fails (its SAE diverged) fails alone. Cancellation throws for all.
    /// </summary>
    Task<IReadOnlyList<GroupOutcome>> RunGroupAsync(IReadOnlyList<StageContext> contexts, CancellationToken cancellationToken);
}
