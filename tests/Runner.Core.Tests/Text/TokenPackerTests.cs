using Runner.Core.Data.Text;

namespace Runner.Core.Tests.Text;

public sealed class TokenPackerTests
{
    private const int Bos = 0;

    // Document d of length n holds the distinct tokens 100·(d+1) + 1 … 100·(d+1) + n, so every token says where it came from.
    private static List<string> Documents(params int[] lengths) =>
        lengths.Select((n, d) => string.Join(' ', Enumerable.Range(1, n).Select(i => 100 * (d + 1) + i))).ToList();

    private static int[] Tokenize(string document) =>
        document.Length == 0 ? [] : document.Split(' ').Select(int.Parse).ToArray();

    private static List<int[]> Pack(IReadOnlyList<string> docs, int context, int? bos, ulong seed = 1, long max = long.MaxValue) =>
        TokenPacker.Pack(docs, Tokenize, new PackingOptions { Context = context, BosId = bos, Seed = seed }, max).ToList();

    [Fact]
    public void The_same_seed_gives_the_same_sequences_and_another_seed_others()
    {
        var docs = Documents(5, 9, 3, 12, 7, 4, 8, 6);
        Assert.Equal(Pack(docs, 8, Bos, seed: 3), Pack(docs, 8, Bos, seed: 3));
        Assert.NotEqual(Pack(docs, 8, Bos, seed: 3), Pack(docs, 8, Bos, seed: 4));
    }

    [Fact]
    public void Documents_follow_the_pinned_splitmix64_fisher_yates_order()
    {
        var order = TokenPacker.ShuffledOrder(5, 0);
        var expected = Enumerable.Range(0, 5).ToArray();
        new SplitMix64(0).Shuffle(expected);
        Assert.Equal(expected, order);
        var docs = Documents(1, 1, 1, 1, 1);
        var packed = Pack(docs, 1, null, seed: 0);
        Assert.Equal(order.Select(d => 100 * (d + 1) + 1), packed.Select(s => s.Single()));
    }

    [Fact]
    public void With_a_bos_every_sequence_starts_with_it_and_it_separates_documents()
    {
        var docs = Documents(3, 2, 6);
        var packed = Pack(docs, 5, Bos, seed: 0);
        var order = TokenPacker.ShuffledOrder(3, 0);
        // The stream: d₀ BOS d₁ BOS d₂, cut into [BOS] + 4 tokens; a separator never follows a sequence's own BOS.
        var stream = new List<int>();
        foreach (var d in order)
        {
            if (stream.Count > 0) stream.Add(Bos);
            stream.AddRange(Tokenize(docs[d]));
        }
        var expected = stream.Chunk(4).Where(c => c.Length == 4).Select(c => (int[])[Bos, .. c]).ToList();
        Assert.Equal(expected, packed);
        Assert.All(packed, s => Assert.Equal(Bos, s[0]));
    }

    [Fact]
    public void A_separator_that_would_follow_the_sequence_bos_is_dropped_and_a_tokenizer_bos_is_not_doubled()
    {
        // Two documents of exactly Context − 1 tokens each: the second sequence starts [BOS, d₁…], not [BOS, BOS, …].
        var docs = Documents(4, 4);
        var packed = Pack(docs, 5, Bos);
        Assert.Equal(2, packed.Count);
        Assert.All(packed, s => Assert.Equal(1, s.Count(t => t == Bos)));

        int[] WithBos(string d) => [Bos, .. Tokenize(d)];
        var withTokenizerBos = TokenPacker.Pack(docs, WithBos, new PackingOptions { Context = 5, BosId = Bos, Seed = 1 }, 10).ToList();
        Assert.Equal(packed, withTokenizerBos);
    }

    [Theory]
    [InlineData(7, null)]
    [InlineData(7, Bos)]
    [InlineData(2, Bos)]
    [InlineData(1, null)]
    public void No_token_is_lost_or_duplicated_within_what_is_emitted(int context, int? bos)
    {
        var docs = Documents(5, 9, 3, 12, 7, 4, 8, 6, 1, 11);
        var packed = Pack(docs, context, bos, seed: 9);
        Assert.All(packed, s => Assert.Equal(context, s.Length));
        var content = packed.SelectMany(s => bos is null ? s : s.Skip(1)).Where(t => t != Bos).ToList();
        var stream = TokenPacker.ShuffledOrder(docs.Count, 9).SelectMany(d => Tokenize(docs[d])).ToList();
        Assert.Equal(stream.Take(content.Count), content);
        Assert.Equal(content.Count, content.Distinct().Count());
        // Only the last partial sequence is dropped: what is left could not fill another.
        Assert.InRange(stream.Count - content.Count, 0, (bos is null ? context : context - 1) - 1);
        if (bos is null) Assert.Equal(stream.Count / context, packed.Count);
    }

    [Fact]
    public void Packing_stops_after_max_sequences_and_tokenizes_lazily()
    {
        var docs = Documents(Enumerable.Repeat(10, 50).ToArray());
        var calls = 0;
        int[] Counting(string d)
        {
            calls++;
            return Tokenize(d);
        }
        var packed = TokenPacker.Pack(docs, Counting, new PackingOptions { Context = 11, BosId = Bos }, 3).ToList();
        Assert.Equal(3, packed.Count);
        Assert.InRange(calls, 3, 4);
        Assert.Empty(TokenPacker.Pack(docs, Tokenize, new PackingOptions(), 0));
    }

    [Fact]
    public void Empty_documents_are_skipped()
    {
        var docs = new List<string> { "", "1 2 3", "", "4 5 6" };
        var packed = Pack(docs, 8, Bos);                  // BOS, 3 tokens, one separator, 3 tokens
        Assert.Equal(2, Assert.Single(packed).Count(t => t == Bos));
    }

    [Fact]
    public void Too_little_text_is_an_error_saying_how_many_tokens_it_had_and_needed()
    {
        var e = Assert.Throws<RunnerException>(() => Pack(Documents(3, 2), 64, Bos));
        Assert.Equal("data: the 2 document(s) gave 6 token(s) (separators included), but one sequence of context 64 needs 63 after its BOS; add text or lower data.context", e.Message);
        e = Assert.Throws<RunnerException>(() => Pack(Documents(3, 2), 64, null));
        Assert.Contains("gave 5 token(s), but one sequence of context 64 needs 64;", e.Message);
        Assert.Contains("at least 2", Assert.Throws<RunnerException>(() => Pack(Documents(3), 1, Bos)).Message);
    }
}
