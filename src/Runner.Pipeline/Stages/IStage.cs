using System.Text.Json.Nodes;
using Runner.Pipeline.Spec;

namespace Runner.Pipeline.Stages;

/// <summary>
/// One step of the pipeline (<c>pretrain</c>, <c>capture</c>, <c>train</c>, …). A stage reads its slice
/// of the resolved spec and its input stages' outputs, and writes files into its output folder, which
/// becomes a cache entry keyed by <see cref="StageKey"/>: name, <see cref="Version"/>, the slice minus
/// <see cref="ExcludedFields"/>, the inputs' keys and the environment fingerprint.
/// </summary>
public interface IStage
{
    /// <summary>The stage name: lower case, digits, '_' or '-' (it names cache folders).</summary>
    string Name { get; }

    /// <summary>A constant bumped whenever the stage's code changes what it produces; old entries then miss.</summary>
    int Version { get; }

    /// <summary>The stages whose outputs this one reads. An input that does not apply to a point is left out.</summary>
    IReadOnlyList<string> Inputs { get; }

    /// <summary>
    /// Paths (dotted, relative to <see cref="SpecSlice"/>'s result) of fields the stage reads that
    /// change no result: log intervals, a device index. They are removed before hashing, so changing
    /// them reuses the cache. Every entry here must be justified in a comment and is tested.
    /// </summary>
    IReadOnlyList<string> ExcludedFields { get; }

    /// <summary>
    /// Exactly the part of <see cref="ResolvedPoint.Json"/> this stage reads (use
    /// <see cref="SpecSlices.Take"/>); nothing the stage ignores, or an unrelated edit would miss the cache.
    /// </summary>
    JsonNode? SpecSlice(ResolvedPoint point);

    /// <summary>The inputs for <paramref name="point"/> (default <see cref="Inputs"/>; e.g. train also reads the model when it streams).</summary>
    IReadOnlyList<string> InputsFor(ResolvedPoint point) => Inputs;

    /// <summary>Whether the stage runs for <paramref name="point"/> at all (e.g. <c>pretrain</c> only for a toy model).</summary>
    bool AppliesTo(ResolvedPoint point) => true;

    /// <summary>
    /// Outputs shown at the top of a run folder: name in the run folder -> path inside the stage's
    /// entry (e.g. train's <c>sae</c> -> <c>sae</c>, so runs/&lt;experiment&gt;/&lt;run&gt;/sae is the SAELens folder).
    /// </summary>
    IReadOnlyDictionary<string, string> RunLinks => NoLinks;

    /// <summary>The empty <see cref="RunLinks"/>.</summary>
    static readonly IReadOnlyDictionary<string, string> NoLinks = new Dictionary<string, string>();

    /// <summary>
    /// Computes the outputs into <see cref="StageContext.OutputDirectory"/>. The inner loop checks
    /// <paramref name="cancellationToken"/> every step and throws <see cref="OperationCanceledException"/>;
    /// any other exception fails the stage (<see cref="StageFailedException"/>). Nothing it wrote is kept
    /// unless it returns.
    /// </summary>
    Task<StageResult> RunAsync(StageContext context, CancellationToken cancellationToken);
}
