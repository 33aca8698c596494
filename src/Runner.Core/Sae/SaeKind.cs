namespace Runner.Core.Sae;

/// <summary>The SAE architectures (one file each, registered in <see cref="SaeFactory"/>).</summary>
public enum SaeKind
{
    /// <summary>ReLU with decoder-norm-weighted L1 (Anthropic, April 2024).</summary>
    Relu,
    /// <summary>TopK (Gao et al. 2024).</summary>
    TopK,
    /// <summary>BatchTopK: top k × batch across the batch; exported as jumprelu.</summary>
    BatchTopK,
    /// <summary>JumpReLU with straight-through threshold gradients.</summary>
    JumpRelu,
}

/// <summary>JumpReLU sparsity penalty.</summary>
public enum SparsityMode
{
    /// <summary>L0 through a Heaviside step (DeepMind).</summary>
    Step,
    /// <summary>λ Σ tanh(c · f_i ‖W_dec,i‖) (Anthropic, January 2025).</summary>
    Tanh,
}
