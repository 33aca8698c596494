using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>SAE architecture (spec key <c>sae.architecture</c>).</summary>
public enum SaeArchitecture
{
    /// <summary>ReLU with decoder-norm-weighted L1 (Anthropic, April 2024).</summary>
    [JsonStringEnumMemberName("relu")] Relu,

    /// <summary>Top-k per token with AuxK (Gao et al. 2024).</summary>
    [JsonStringEnumMemberName("topk")] TopK,

    /// <summary>Top k×batch across the batch; exported as jumprelu.</summary>
    [JsonStringEnumMemberName("batchtopk")] BatchTopK,

    /// <summary>JumpReLU with straight-through threshold gradients.</summary>
    [JsonStringEnumMemberName("jumprelu")] JumpRelu,
}
