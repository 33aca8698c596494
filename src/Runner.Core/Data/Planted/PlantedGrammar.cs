namespace Runner.Core.Data.Planted;

/// <summary>
/// A fluency metric for generated text: parses token ids as a sequence of the corpus's sentence
/// templates, where any topic's or generic word may fill a slot of its class and a multi-word phrase
/// ("golden gate bridge") counts as one noun (the proof of concept's grammar.py).
/// <para>
/// From each sentence start the longest template match is taken. Where none matches, the sentence
/// is bad and parsing resumes after the next "." or "?" (plus a closing quote mark if the bad sentence
/// opened a quote), or at the next <c>&lt;doc&gt;</c>, which also ends a sentence. "!" ends no sentence:
/// in the templates it only occurs inside a quote (<c>" the … ! " said maria .</c>), as in the proof of concept.
/// A sentence that runs into the end of the ids is not judged (it may be cut off), also when it is a
/// prefix of a template match. Ids outside the vocabulary match no slot.
/// </para>
/// </summary>
public sealed class PlantedGrammar
{
    private readonly int[][] _templates;
    private readonly byte[] _classes;          // [vocab] bit (−slot − 1) set when the word may fill that slot
    private readonly int[][]?[] _phrases;       // [vocab] the multi-word nouns starting with this word, or null
    private readonly int _doc, _period, _question, _quote;

    /// <summary>A grammar over <paramref name="vocabulary"/> (which must hold the built-in lexicon).</summary>
    public PlantedGrammar(PlantedVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var lexicon = CompiledLexicon.For(vocabulary);
        Vocabulary = vocabulary;
        _templates = lexicon.Templates;
        _classes = new byte[vocabulary.Count];
        var phrases = new List<int[]>[vocabulary.Count];
        void Add(int id, int slot) => _classes[id] |= (byte)(1 << (-slot - 1));
        foreach (var slots in lexicon.Topics.Append(lexicon.Generic))
            for (var c = 0; c < 3; c++)
                foreach (var entry in slots[c])
                {
                    if (entry.Length == 1) Add(entry[0], -c - 1);
                    else (phrases[entry[0]] ??= []).Add(entry);   // only nouns have phrases; the parser tries them at N
                }
        foreach (var id in lexicon.Prepositions) Add(id, CompiledLexicon.P);
        foreach (var id in lexicon.Names) Add(id, CompiledLexicon.Name);
        foreach (var id in lexicon.Numbers) Add(id, CompiledLexicon.Num);
        foreach (var id in lexicon.Years) Add(id, CompiledLexicon.Year);
        _phrases = [.. phrases.Select(p => p?.ToArray())];
        _doc = lexicon.Doc;
        _period = lexicon.Period;
        _question = lexicon.Question;
        _quote = lexicon.Quote;
    }

    /// <summary>The vocabulary the ids belong to.</summary>
    public PlantedVocabulary Vocabulary { get; }

    /// <summary>
    /// Of the complete sentences in <paramref name="ids"/> (which must begin at a sentence start, e.g. with
    /// <c>&lt;doc&gt;</c>): how many there are and how many parse as one template.
    /// </summary>
    public (int Complete, int Grammatical) Check(ReadOnlySpan<int> ids) => Check(ids, 0);

    /// <summary>
    /// As <see cref="Check(ReadOnlySpan{int})"/>, counting only the sentences that end at or after index
    /// <paramref name="judgeFrom"/> (e.g. to leave out a prompt).
    /// </summary>
    public (int Complete, int Grammatical) Check(ReadOnlySpan<int> ids, int judgeFrom)
    {
        int good = 0, bad = 0, i = 0, n = ids.Length;
        while (i < n)
        {
            if (ids[i] == _doc)
            {
                i++;
                continue;
            }
            var best = -1;
            var cutOff = false;
            foreach (var template in _templates) best = Math.Max(best, Match(ids, i, template, 0, ref cutOff));
            if (best > i)
            {
                if (best - 1 >= judgeFrom) good++;
                i = best;
                continue;
            }
            if (cutOff) break;   // the ids end inside what could still become a template sentence

            var k = i;
            var quotes = 0;
            for (; k < n && ids[k] != _period && ids[k] != _question && ids[k] != _doc; k++)
                if (ids[k] == _quote) quotes++;
            if (k >= n) break;   // no sentence end before the ids end: unjudged
            var end = k;
            if (ids[k] != _doc)
            {
                end = k + 1;
                if (quotes % 2 == 1 && end < n && ids[end] == _quote) end++;
            }
            if (end - 1 >= judgeFrom) bad++;
            i = end;
        }
        return (good + bad, good);
    }

    // The longest end of a match of template[j..] against ids[i..], or −1 for none; sets cutOff when
    // a partial match used up all the ids.
    private int Match(ReadOnlySpan<int> ids, int i, int[] template, int j, ref bool cutOff)
    {
        if (j == template.Length) return i;
        if (i >= ids.Length)
        {
            cutOff = true;
            return -1;
        }
        var element = template[j];
        var id = ids[i];
        if (element >= 0) return id == element ? Match(ids, i + 1, template, j + 1, ref cutOff) : -1;

        var known = (uint)id < (uint)_classes.Length;
        var best = known && (_classes[id] & (1 << (-element - 1))) != 0 ? Match(ids, i + 1, template, j + 1, ref cutOff) : -1;
        if (element == CompiledLexicon.N && known && _phrases[id] is { } phrases)
            foreach (var phrase in phrases)
            {
                var m = 1;
                while (m < phrase.Length && i + m < ids.Length && ids[i + m] == phrase[m]) m++;
                if (m == phrase.Length) best = Math.Max(best, Match(ids, i + m, template, j + 1, ref cutOff));
                else if (i + m == ids.Length) cutOff = true;
            }
        return best;
    }
}
