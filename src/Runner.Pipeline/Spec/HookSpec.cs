namespace Runner.Pipeline.Spec;

/// <summary>The spec's <c>hook</c> section: which activations are captured.</summary>
public sealed record HookSpec
{
    /// <summary>Block index (0-based).</summary>
    public int Layer { get; init; }

    /// <summary>Site within the block.</summary>
    public HookSite Site { get; init; } = HookSite.ResidPost;
}
