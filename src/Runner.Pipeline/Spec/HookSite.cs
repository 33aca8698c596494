using System.Text.Json.Serialization;

namespace Runner.Pipeline.Spec;

/// <summary>Where in a transformer block activations are read (spec key <c>hook.site</c>).</summary>
public enum HookSite
{
    /// <summary>Residual stream entering the block.</summary>
    [JsonStringEnumMemberName("resid_pre")] ResidPre,

    /// <summary>Residual stream after attention, before the MLP.</summary>
    [JsonStringEnumMemberName("resid_mid")] ResidMid,

    /// <summary>Residual stream leaving the block.</summary>
    [JsonStringEnumMemberName("resid_post")] ResidPost,

    /// <summary>MLP hidden activations (after the nonlinearity).</summary>
    [JsonStringEnumMemberName("mlp_hidden")] MlpHidden,

    /// <summary>MLP output, before it is added to the residual.</summary>
    [JsonStringEnumMemberName("mlp_out")] MlpOut,

    /// <summary>Attention output, before it is added to the residual.</summary>
    [JsonStringEnumMemberName("attn_out")] AttnOut,
}
