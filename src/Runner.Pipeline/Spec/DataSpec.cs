namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>data</c> section. Exactly one source: corpus, files, jsonl or synthetic.</summary>
public sealed record DataSpec
{
    /// <summary>A built-in generated corpus; the default source when no other is given.</summary>
    public DataCorpus? Corpus { get; init; } = DataCorpus.PlantedTopics;

    /// <summary>Plain-text files: glob patterns (absolute once resolved).</summary>
    public IReadOnlyList<string>? Files { get; init; }

    /// <summary>JSON-lines files: glob patterns (absolute once resolved); the text is in <see cref="TextField"/>.</summary>
    public IReadOnlyList<string>? Jsonl { get; init; }

    /// <summary>jsonl only: the field holding each record's text (default <c>text</c>).</summary>
    public string? TextField { get; init; }

    /// <summary>Synthetic activations with known true features (no model, no text).</summary>
    public SyntheticDataSpec? Synthetic { get; init; }

    /// <summary>Tokens (activation rows) captured for SAE training.</summary>
    public long Tokens { get; init; } = 1_000_000;

    /// <summary>Tokens per packed sequence.</summary>
    public int Context { get; init; } = 64;

    /// <summary>Start every sequence with the tokenizer's BOS token.</summary>
    public bool Bos { get; init; } = true;

    /// <summary>Precision of the stored activation shards (float32, bfloat16 or float16).</summary>
    public ActivationPrecision ActivationDtype { get; init; } = ActivationPrecision.Float32;

    /// <summary><c>disk</c>: capture stores the training rows; <c>stream</c>: train produces them as it consumes them.</summary>
    public DataStore Store { get; init; } = DataStore.Disk;

    /// <summary>stream only: rows in the shuffle buffer; null = 64 × sae.batch_size.</summary>
    public long? ShuffleBuffer { get; init; }
}
