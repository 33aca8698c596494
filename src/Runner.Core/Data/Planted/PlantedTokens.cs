namespace Runner.Core.Data.Planted;

/// <summary>
/// A stretch of the planted stream with its ground truth, all [tokens]: the ids, the topic id of each
/// token's segment (−1 for <c>&lt;doc&gt;</c>) and whether the token is inside a quotation.
/// </summary>
public sealed record PlantedTokens(int[] Ids, int[] Topics, bool[] InQuote);
