using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>A floating-point precision named in the spec (<c>model.dtype</c>, <c>sae.dtype</c>; shards use <see cref="ActivationPrecision"/>).</summary>
public enum Precision
{
    /// <summary>IEEE single precision.</summary>
    [JsonStringEnumMemberName("float32")] Float32,

    /// <summary>bfloat16 (for training: autocast with fp32 master weights).</summary>
    [JsonStringEnumMemberName("bfloat16")] Bfloat16,
}
