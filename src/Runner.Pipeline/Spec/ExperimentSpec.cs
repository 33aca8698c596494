namespace Runner.Pipeline.Spec;

/// <summary>
/// One experiment as the spec describes it, after includes, interpolation, overrides and the sweep
/// point are applied and every default is filled in. Built only by <see cref="SpecLoader"/> from the
/// validated JSON tree (<see cref="ResolvedPoint.Json"/>); the initializers here are the defaults the
/// schema documents, so <c>new ExperimentSpec { Name = "x" }</c> is the spec <c>name: x</c>
/// (apart from derived values such as <c>tracking.mlflow.experiment</c>).
/// </summary>
public sealed record ExperimentSpec
{
    /// <summary>The experiment's name; runs live in <c>runs/&lt;name&gt;/</c> (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>).</summary>
    public required string Name { get; init; }

    /// <summary>The seed every random stream (init, shuffling, sampling, data order) derives from.</summary>
    public long Seed { get; init; }

    /// <summary>Where stages run: <c>auto</c> (CUDA when available), <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Where the content-addressed stage cache lives.</summary>
    public CacheSpec Cache { get; init; } = new();

    /// <summary>The language model whose activations are studied.</summary>
    public ModelSpec Model { get; init; } = new();

    /// <summary>The text (or synthetic activations) the model reads.</summary>
    public DataSpec Data { get; init; } = new();

    /// <summary>The layer and site whose activations are captured.</summary>
    public HookSpec Hook { get; init; } = new();

    /// <summary>The sparse autoencoder and its training.</summary>
    public SaeSpec Sae { get; init; } = new();

    /// <summary>The evaluation of the trained SAE.</summary>
    public EvaluateSpec Evaluate { get; init; } = new();

    /// <summary>Steering: clamped generation from prompts.</summary>
    public SteerSpec Steer { get; init; } = new();

    /// <summary>F# scripts run after the stages, in order.</summary>
    public IReadOnlyList<HookScriptSpec> Hooks { get; init; } = [];

    /// <summary>Where runs are tracked (MLflow) or <c>none</c>.</summary>
    public TrackingSpec Tracking { get; init; } = new();
}
