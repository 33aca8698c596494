using Runner.Core.Tokenizers;

namespace Runner.Core.Tests.Tokenizers;

/// <summary>Runner's own NFC/NFD (string.Normalize is a no-op under InvariantGlobalization).</summary>
public sealed class UnicodeNormalizerTests
{
    [Theory]
    [InlineData("e\u0301", "\u00E9")]                 // é
    [InlineData("A\u030Angstro\u0308m", "Ångström")]
    [InlineData("\u212B", "\u00C5")]                  // ANGSTROM SIGN is a singleton: always becomes Å
    [InlineData("o\u0323\u0302", "\u1ED9")]           // ộ: marks reordered by combining class, then composed
    [InlineData("o\u0302\u0323", "\u1ED9")]
    [InlineData("\u1100\u1161\u11A8", "\uAC01")]      // Hangul L V T -> 각
    [InlineData("\u0958", "\u0915\u093C")]            // DEVANAGARI QA is a composition exclusion
    [InlineData("U\u0308\u0304", "\u01D5")]           // Ǖ composes in two steps
    [InlineData("e\u0301\u0301", "\u00E9\u0301")]     // the second acute is blocked
    [InlineData("plain ascii", "plain ascii")]
    [InlineData("𝒜\u0301", "𝒜\u0301")]               // astral base, no composite
    public void Nfc_matches_the_unicode_standard(string input, string expected) =>
        Assert.Equal(expected, UnicodeNormalizer.Nfc(input));

    [Fact]
    public void Nfd_decomposes_fully_and_orders_marks()
    {
        Assert.Equal("e\u0301", UnicodeNormalizer.Nfd("é"));
        Assert.Equal("U\u0308\u0304", UnicodeNormalizer.Nfd("\u01D5"));
        Assert.Equal("\u1100\u1161\u11A8", UnicodeNormalizer.Nfd("\uAC01"));
        Assert.Equal("o\u0323\u0302", UnicodeNormalizer.Nfd("o\u0302\u0323"));
    }

    [Fact]
    public void A_lone_surrogate_passes_through()
    {
        Assert.Equal("e\u0301\uD800x", UnicodeNormalizer.Nfd("é\uD800x"));
        Assert.Equal("é\uD800x", UnicodeNormalizer.Nfc("e\u0301\uD800x"));
    }
}
