using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>Where the model comes from (spec key <c>model.source</c>).</summary>
public enum ModelSource
{
    /// <summary>A small transformer trained by the <c>pretrain</c> stage on the planted-topics corpus.</summary>
    [JsonStringEnumMemberName("toy")] Toy,

    /// <summary>A Hugging Face checkpoint on disk (<c>model.path</c>) or in the local HF cache (<c>model.id</c>).</summary>
    [JsonStringEnumMemberName("hf")] Hf,
}
