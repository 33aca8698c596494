namespace Runner.Core.IO;

/// <summary>A tensor an SAELens architecture stores: its name and shape, e.g. <c>W_enc</c> [d_in, d_sae] = [768, 24576].</summary>
public sealed record SaeLensTensor
{
    /// <summary>The state_dict name.</summary>
    public required string Name { get; init; }

    /// <summary>The shape for this config's sizes.</summary>
    public required IReadOnlyList<long> Shape { get; init; }

    /// <summary>The shape in the config's terms, e.g. <c>d_in, d_sae</c>.</summary>
    public required string Dimensions { get; init; }

    /// <summary>E.g. <c>[d_in, d_sae] = [768, 24576]</c>.</summary>
    public string Describe() => $"[{Dimensions}] = [{string.Join(", ", Shape)}]";
}
