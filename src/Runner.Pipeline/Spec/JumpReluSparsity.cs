using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>JumpReLU sparsity penalty (spec key <c>sae.sparsity_mode</c>).</summary>
public enum JumpReluSparsity
{
    /// <summary>L0 through a Heaviside step (DeepMind).</summary>
    [JsonStringEnumMemberName("step")] Step,

    /// <summary>tanh of the decoder-norm-weighted activation (Anthropic, January 2025).</summary>
    [JsonStringEnumMemberName("tanh")] Tanh,
}
