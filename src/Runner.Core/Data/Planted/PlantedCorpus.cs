namespace Runner.Core.Data.Planted;

/// <summary>
/// The planted-topics corpus: an endless, seeded stream of template-generated documents whose topic is
/// known per token (the proof of concept's corpus.py, with Runner's own generator <see cref="PlantedRandom"/>).
/// Each document draws a topic and 4–10 sentences; with probability <see cref="PlantedCorpusOptions.SwitchProbability"/>
/// it switches once, at a sentence boundary, to a different topic. Each sentence is a uniformly drawn
/// template; a content slot takes a word of the segment's topic (p_topic), of a random topic (p_noise) or
/// a generic word, uniformly within that lexicon; prepositions, names, numbers 1–99 and years 1900–2030 are uniform.
/// </summary>
public sealed class PlantedCorpus
{
    private readonly CompiledLexicon _lexicon;
    private readonly int _maxDocument;

    /// <summary>
    /// A corpus over <paramref name="vocabulary"/> (which must hold the built-in lexicon, as
    /// <see cref="PlantedVocabulary.Create"/>'s does); <see cref="RunnerException"/> for invalid options.
    /// </summary>
    public PlantedCorpus(PlantedVocabulary vocabulary, PlantedCorpusOptions options)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Vocabulary = vocabulary;
        Options = options;
        _lexicon = CompiledLexicon.For(vocabulary);
        var longestPhrase = _lexicon.Topics.Append(_lexicon.Generic).Max(t => t[0].Max(e => e.Length));
        var longestSentence = _lexicon.Templates.Max(t => t.Sum(e => e == CompiledLexicon.N ? longestPhrase : 1));
        _maxDocument = 1 + options.MaxSentences * longestSentence;
    }

    /// <summary>The vocabulary the ids belong to.</summary>
    public PlantedVocabulary Vocabulary { get; }

    /// <summary>The settings of this corpus.</summary>
    public PlantedCorpusOptions Options { get; }

    /// <summary>
    /// The endless stream of documents, each starting with <c>&lt;doc&gt;</c>. Every enumeration starts
    /// again from the seed, so the same seed gives the same stream.
    /// </summary>
    public IEnumerable<PlantedDocument> Documents()
    {
        var writer = new Writer(this);
        while (true)
        {
            var n = writer.Next();
            yield return new PlantedDocument(writer.Ids[..n], writer.Topics[..n]) { InQuote = writer.InQuote[..n] };
        }
    }

    /// <summary>The first <paramref name="tokens"/> tokens of the concatenated stream and their segments' topic ids [tokens].</summary>
    public (int[] Ids, int[] Topics) Generate(long tokens)
    {
        var stream = GenerateLabeled(tokens);
        return (stream.Ids, stream.Topics);
    }

    /// <summary>As <see cref="Generate"/>, plus the in-quote flag of every token.</summary>
    public PlantedTokens GenerateLabeled(long tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(tokens, Array.MaxLength);
        var length = (int)tokens;
        var ids = new int[length];
        var topics = new int[length];
        var inQuote = new bool[length];
        var writer = new Writer(this);
        for (var at = 0; at < length;)
        {
            var n = Math.Min(writer.Next(), length - at);
            writer.Ids.AsSpan(0, n).CopyTo(ids.AsSpan(at));
            writer.Topics.AsSpan(0, n).CopyTo(topics.AsSpan(at));
            writer.InQuote.AsSpan(0, n).CopyTo(inQuote.AsSpan(at));
            at += n;
        }
        return new PlantedTokens(ids, topics, inQuote);
    }

    /// <summary>The text of <paramref name="document"/>: its words joined by single spaces.</summary>
    public string DocumentText(PlantedDocument document) => Vocabulary.Decode(document.Ids);

    // Writes one document at a time into reusable buffers; holds the stream's generator.
    private sealed class Writer(PlantedCorpus corpus)
    {
        private readonly PlantedRandom _random = new(corpus.Options.Seed);
        private readonly CompiledLexicon _lexicon = corpus._lexicon;
        private readonly PlantedCorpusOptions _options = corpus.Options;
        private int _length;

        public int[] Ids { get; } = new int[corpus._maxDocument];
        public int[] Topics { get; } = new int[corpus._maxDocument];
        public bool[] InQuote { get; } = new bool[corpus._maxDocument];

        // the next document into the buffers; returns its length
        public int Next()
        {
            var random = _random;
            var lexicon = _lexicon;
            var topicCount = lexicon.Topics.Length;
            double pTopic = _options.TopicProbability, pNoise = pTopic + _options.NoiseProbability;

            var topic = random.NextInt(topicCount);
            var sentences = random.NextInt(_options.MinSentences, _options.MaxSentences);
            var switchAt = random.NextDouble() < _options.SwitchProbability && sentences > 1 ? random.NextInt(1, sentences - 1) : -1;
            _length = 0;
            Emit(lexicon.Doc, -1, false);
            for (var s = 0; s < sentences; s++)
            {
                if (s == switchAt) topic = (topic + random.NextInt(1, topicCount - 1)) % topicCount;
                var inQuote = false;
                foreach (var element in lexicon.Templates[random.NextInt(lexicon.Templates.Length)])
                {
                    switch (element)
                    {
                        case >= 0:
                            if (element == lexicon.Quote)
                            {
                                inQuote = !inQuote;
                                Emit(element, topic, false); // the marks themselves are not inside
                            }
                            else Emit(element, topic, inQuote);
                            break;
                        case CompiledLexicon.N or CompiledLexicon.V or CompiledLexicon.A:
                            var r = random.NextDouble();
                            var source = r < pTopic ? lexicon.Topics[topic]
                                : r < pNoise ? lexicon.Topics[random.NextInt(topicCount)]
                                : lexicon.Generic;
                            var entries = source[CompiledLexicon.ContentIndex(element)];
                            foreach (var id in entries[random.NextInt(entries.Length)]) Emit(id, topic, inQuote);
                            break;
                        case CompiledLexicon.P:
                            Emit(lexicon.Prepositions[random.NextInt(lexicon.Prepositions.Length)], topic, inQuote);
                            break;
                        case CompiledLexicon.Name:
                            Emit(lexicon.Names[random.NextInt(lexicon.Names.Length)], topic, inQuote);
                            break;
                        case CompiledLexicon.Num:
                            Emit(lexicon.Numbers[random.NextInt(lexicon.Numbers.Length)], topic, inQuote);
                            break;
                        case CompiledLexicon.Year:
                            Emit(lexicon.Years[random.NextInt(lexicon.Years.Length)], topic, inQuote);
                            break;
                        default:
                            throw new InvalidOperationException($"planted template element {element}");
                    }
                }
            }
            return _length;
        }

        private void Emit(int id, int topic, bool inQuote)
        {
            Ids[_length] = id;
            Topics[_length] = topic;
            InQuote[_length] = inQuote;
            _length++;
        }
    }
}
