using System.Globalization;

namespace Runner.Core.Data.Planted;

/// <summary>
/// The built-in lexicon and templates as token ids of one vocabulary, shared by the generator and the
/// grammar. A template is an int[]: an id ≥ 0 is a literal word, a negative value is a slot (the constants below).
/// </summary>
internal sealed class CompiledLexicon
{
    public const int N = -1, V = -2, A = -3, P = -4, Name = -5, Num = -6, Year = -7;

    private CompiledLexicon(PlantedVocabulary vocabulary)
    {
        int Id(string word) =>
            vocabulary.TryGetWordId(word, out var id) ? id
                : throw new RunnerException($"the planted vocabulary lacks '{word}', a word of the built-in planted lexicon (was it saved from another version?)");
        int[] Entry(string entry) => [.. entry.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Id)];
        int[][][] Slots(PlantedLexicon.Lexicon lexicon) => [.. "NVA".Select(slot => lexicon.Of(slot).Select(Entry).ToArray())];

        var names = PlantedLexicon.Topics.Select(t => t.Name).ToArray();
        if (!vocabulary.Topics.SequenceEqual(names, StringComparer.Ordinal))
            throw new RunnerException($"the planted vocabulary's topics [{string.Join(", ", vocabulary.Topics)}] differ from the built-in topics [{string.Join(", ", names)}]");

        Topics = [.. PlantedLexicon.Topics.Select(Slots)];
        Generic = Slots(PlantedLexicon.Generic);
        Prepositions = [.. PlantedLexicon.Prepositions.Select(Id)];
        Names = [.. PlantedLexicon.Names.Select(Id)];
        Numbers = [.. Enumerable.Range(PlantedLexicon.MinNumber, PlantedLexicon.MaxNumber - PlantedLexicon.MinNumber + 1).Select(n => Id(n.ToString(CultureInfo.InvariantCulture)))];
        Years = [.. Enumerable.Range(PlantedLexicon.MinYear, PlantedLexicon.MaxYear - PlantedLexicon.MinYear + 1).Select(y => Id(y.ToString(CultureInfo.InvariantCulture)))];
        Templates = [.. PlantedLexicon.Templates.Select(t => t.Split(' ').Select(w => w switch
        {
            "{N}" => N,
            "{V}" => V,
            "{A}" => A,
            "{P}" => P,
            "{NAME}" => Name,
            "{NUM}" => Num,
            "{YEAR}" => Year,
            _ => Id(w),
        }).ToArray())];
        Doc = vocabulary.DocId;
        Quote = Id("\"");
        Period = Id(".");
        Question = Id("?");
    }

    /// <summary>[topic][slot N=0, V=1, A=2][entry] → the entry's ids (several for a phrase).</summary>
    public int[][][][] Topics { get; }

    /// <summary>[slot][entry] → ids, for the generic lexicon.</summary>
    public int[][][] Generic { get; }

    public int[] Prepositions { get; }
    public int[] Names { get; }
    public int[] Numbers { get; }
    public int[] Years { get; }
    public int[][] Templates { get; }
    public int Doc { get; }
    public int Quote { get; }
    public int Period { get; }
    public int Question { get; }

    /// <summary>The lexicon in the ids of <paramref name="vocabulary"/>; <see cref="RunnerException"/> when it lacks a word or has other topics.</summary>
    public static CompiledLexicon For(PlantedVocabulary vocabulary) => new(vocabulary);

    /// <summary>Index 0, 1, 2 of content slot <see cref="N"/>, <see cref="V"/>, <see cref="A"/>.</summary>
    public static int ContentIndex(int slot) => -slot - 1;
}
