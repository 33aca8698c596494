using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>How activation shards are stored (<c>data.activation_dtype</c>): a model or SAE never runs in float16 here, shards may.</summary>
public enum ActivationPrecision
{
    /// <summary>IEEE single precision: 4 bytes per value.</summary>
    [JsonStringEnumMemberName("float32")] Float32,

    /// <summary>bfloat16: 2 bytes, float32's range, 8 bits of mantissa.</summary>
    [JsonStringEnumMemberName("bfloat16")] Bfloat16,

    /// <summary>IEEE half precision: 2 bytes, 11 bits of mantissa, values up to 65504.</summary>
    [JsonStringEnumMemberName("float16")] Float16,
}
