namespace Runner.Core.Models;

/// <summary>Where in a block an activation is read or replaced (snake_case names in specs: <c>resid_post</c>).</summary>
public enum HookSite
{
    /// <summary>The block's input (the residual stream before the block).</summary>
    ResidPre,
    /// <summary>
    /// The residual stream after attention: resid_pre + attn_out. With GPT-NeoX's parallel residual the MLP
    /// still reads resid_pre, and resid_post = resid_mid + mlp_out.
    /// </summary>
    ResidMid,
    /// <summary>The block's output.</summary>
    ResidPost,
    /// <summary>The MLP's nonlinearity output, the input of its down projection (width d_mlp).</summary>
    MlpHidden,
    /// <summary>The MLP's output including its output bias, before the residual add.</summary>
    MlpOut,
    /// <summary>The attention's output including its output bias, before the residual add.</summary>
    AttnOut,
}
