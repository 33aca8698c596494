namespace Runner.Core.Data.Planted;

/// <summary>
/// One generated document: <paramref name="Ids"/> [tokens], starting with <c>&lt;doc&gt;</c>, and
/// <paramref name="Topics"/> [tokens], the topic id of the segment each token is in (−1 for <c>&lt;doc&gt;</c>;
/// a document that switches topic has two segments).
/// </summary>
public sealed record PlantedDocument(int[] Ids, int[] Topics)
{
    /// <summary>
    /// [tokens] true for a token inside a quotation (between the quote marks, which are themselves
    /// false). Filled by <see cref="PlantedCorpus"/>; empty for a document built elsewhere without it.
    /// </summary>
    public bool[] InQuote { get; init; } = [];
}
