namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>model</c> section.</summary>
public sealed record ModelSpec
{
    /// <summary><c>toy</c> (trained by the pretrain stage) or <c>hf</c> (a Hugging Face checkpoint).</summary>
    public ModelSource Source { get; init; } = ModelSource.Toy;

    /// <summary>hf only: the checkpoint folder (absolute once resolved); exactly one of path and id.</summary>
    public string? Path { get; init; }

    /// <summary>hf only: a model id (e.g. <c>gpt2</c>) resolved offline from the local Hugging Face cache.</summary>
    public string? Id { get; init; }

    /// <summary>hf with id only: the snapshot revision; null = the cache's <c>main</c> ref.</summary>
    public string? Revision { get; init; }

    /// <summary>Precision the model runs in: <c>float32</c> or <c>bfloat16</c>.</summary>
    public Precision Dtype { get; init; } = Precision.Float32;

    /// <summary>toy only: the toy model's shape and pretraining; null for hf.</summary>
    public ToyModelSpec? Toy { get; init; } = new();
}
