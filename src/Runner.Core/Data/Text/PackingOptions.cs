namespace Runner.Core.Data.Text;

/// <summary>How documents become fixed-length token sequences (see <see cref="TokenPacker"/>).</summary>
public sealed record PackingOptions
{
    /// <summary>Tokens per sequence, the BOS included.</summary>
    public int Context { get; init; } = 64;

    /// <summary>When set, every sequence starts with this token and it also separates documents in the stream.</summary>
    public int? BosId { get; init; }

    /// <summary>Seeds the shuffle of document order.</summary>
    public ulong Seed { get; init; }
}
