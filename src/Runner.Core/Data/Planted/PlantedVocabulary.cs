using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Core.Data.Planted;

/// <summary>
/// The planted corpus's word-level tokenizer: one id per word, with the topic each word belongs to.
/// <see cref="Create"/> builds it from the built-in lexicon in the proof of concept's order (function
/// words from <c>&lt;doc&gt;</c> = 0, prepositions, names, generic words, the topics' words, numbers 1–99,
/// years 1900–2030: 821 words), so the ids are the same on every machine and run. A multi-word entry
/// ("golden gate bridge") is several words. Saved as JSON next to a model trained on the corpus.
/// </summary>
public sealed class PlantedVocabulary
{
    /// <summary>The <c>format</c> value of a saved vocabulary.</summary>
    public const string Format = "runner-planted-vocab";

    /// <summary>The <c>version</c> of the saved format that this code writes and reads.</summary>
    public const int Version = 1;

    private readonly string[] _words;
    private readonly string[] _topics;
    private readonly int[] _wordTopics;
    private readonly Dictionary<string, int> _index;

    private PlantedVocabulary(string[] words, string[] topics, int[] wordTopics, Dictionary<string, int> index)
    {
        _words = words;
        _topics = topics;
        _wordTopics = wordTopics;
        _index = index;
        DocId = index[PlantedLexicon.Doc];
    }

    /// <summary>Number of words (ids are 0 … Count−1).</summary>
    public int Count => _words.Length;

    /// <summary>Id of <c>&lt;doc&gt;</c>, the document separator (also serves as BOS).</summary>
    public int DocId { get; }

    /// <summary>The topic names in their fixed order ("bridge", "ocean", …); a topic id is an index here.</summary>
    public IReadOnlyList<string> Topics => _topics;

    /// <summary>Every word, indexed by id.</summary>
    public IReadOnlyList<string> Words => _words;

    /// <summary>The vocabulary of the built-in lexicon (deterministic: the same ids everywhere).</summary>
    public static PlantedVocabulary Create()
    {
        var words = new List<string>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(IEnumerable<string> entries)
        {
            foreach (var entry in entries)
                foreach (var word in entry.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (index.TryAdd(word, words.Count)) words.Add(word);
        }
        Add([PlantedLexicon.Doc, .. PlantedLexicon.Function]);
        Add([.. PlantedLexicon.Prepositions, .. PlantedLexicon.Names]);
        foreach (var slot in "NVA") Add(PlantedLexicon.Generic.Of(slot));
        foreach (var topic in PlantedLexicon.Topics)
            foreach (var slot in "NVA") Add(topic.Of(slot));
        for (var n = PlantedLexicon.MinNumber; n <= PlantedLexicon.MaxNumber; n++) Add([n.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        for (var y = PlantedLexicon.MinYear; y <= PlantedLexicon.MaxYear; y++) Add([y.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

        var wordTopics = new int[words.Count];
        Array.Fill(wordTopics, -1);
        for (var t = 0; t < PlantedLexicon.Topics.Length; t++)
            foreach (var slot in "NVA")
                foreach (var entry in PlantedLexicon.Topics[t].Of(slot))
                    foreach (var word in entry.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    {
                        ref var owner = ref wordTopics[index[word]];
                        // the metrics need each topic word to name exactly one topic
                        if (owner != -1 && owner != t)
                            throw new InvalidOperationException($"planted lexicon: '{word}' is in topics {PlantedLexicon.Topics[owner].Name} and {PlantedLexicon.Topics[t].Name}");
                        owner = t;
                    }
        return new PlantedVocabulary([.. words], [.. PlantedLexicon.Topics.Select(t => t.Name)], wordTopics, index);
    }

    /// <summary>The id of <paramref name="word"/>; <see cref="RunnerException"/> when it is not in the vocabulary.</summary>
    public int WordId(string word) =>
        _index.TryGetValue(word, out var id) ? id
            : throw new RunnerException($"'{word}' is not a word of the planted vocabulary ({Count} words)", 2);

    /// <summary>The id of <paramref name="word"/>, or false when it is not in the vocabulary.</summary>
    public bool TryGetWordId(string word, out int id) => _index.TryGetValue(word, out id);

    /// <summary>The word with id <paramref name="id"/>.</summary>
    public string Word(int id) => _words[CheckId(id)];

    /// <summary>The topic whose lexicon owns word <paramref name="id"/>, or −1 (generic or function word, name, number, punctuation).</summary>
    public int TopicOfWord(int id) => _wordTopics[CheckId(id)];

    /// <summary>
    /// Ids of the whitespace-separated words of <paramref name="text"/> (a multi-word phrase is several ids);
    /// <see cref="RunnerException"/> naming the first unknown word and its position.
    /// </summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var ids = new int[words.Length];
        for (var i = 0; i < words.Length; i++)
            if (!_index.TryGetValue(words[i], out ids[i]))
                throw new RunnerException($"'{words[i]}' (word {i + 1} of the text) is not a word of the planted vocabulary ({Count} words)", 2);
        return ids;
    }

    /// <summary>The words of <paramref name="ids"/> joined by single spaces.</summary>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new System.Text.StringBuilder(ids.Length * 6);
        for (var i = 0; i < ids.Length; i++)
        {
            if (i > 0) text.Append(' ');
            text.Append(_words[CheckId(ids[i])]);
        }
        return text.ToString();
    }

    private int CheckId(int id) =>
        (uint)id < (uint)_words.Length ? id
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id must be in [0, {_words.Length}) for the planted vocabulary");

    /// <summary>
    /// Writes the vocabulary as JSON:
    /// <c>{"format":"runner-planted-vocab","version":1,"words":[…],"topics":[…],"word_topics":[…]}</c>
    /// (through a temporary file, so a reader never sees half a file); <see cref="RunnerException"/> naming the file on an I/O error.
    /// </summary>
    public void Save(string path)
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["version"] = Version,
            ["words"] = new JsonArray([.. _words.Select(w => (JsonNode?)JsonValue.Create(w))]),
            ["topics"] = new JsonArray([.. _topics.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["word_topics"] = new JsonArray([.. _wordTopics.Select(t => (JsonNode?)JsonValue.Create(t))]),
        };
        var json = root.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        var temp = path + ".tmp";
        try
        {
            File.WriteAllText(temp, json);
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"cannot write planted vocabulary '{path}': {e.Message}", 1, e);
        }
    }

    /// <summary>
    /// Reads a vocabulary written by <see cref="Save"/>. <see cref="RunnerException"/> naming the file and
    /// the key for anything malformed: not JSON, wrong format or version, missing or mistyped keys, empty,
    /// duplicate or whitespace-containing words, no <c>&lt;doc&gt;</c>, lengths that disagree, topic ids out of range.
    /// </summary>
    public static PlantedVocabulary Load(string path)
    {
        RunnerException Bad(string what) => new($"planted vocabulary '{path}': {what}");

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RunnerException($"cannot read planted vocabulary '{path}': {e.Message}", 1, e);
        }

        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw Bad($"not valid JSON ({e.Message})");
        }
        if (node is not JsonObject root) throw Bad($"expected a JSON object, found {Kind(node)}");

        var format = root["format"];
        if (format is not JsonValue fv || !fv.TryGetValue<string>(out var f) || f != Format)
            throw Bad($"\"format\" must be \"{Format}\", found {Show(format)}");
        var version = root["version"];
        if (version is not JsonValue vv || !vv.TryGetValue<int>(out var v) || v != Version)
            throw Bad($"\"version\" must be {Version}, found {Show(version)}");

        var words = Strings(root, "words", Bad);
        var topics = Strings(root, "topics", Bad);
        if (root["word_topics"] is not JsonArray wt) throw Bad($"\"word_topics\" must be an array of integers, found {Kind(root["word_topics"])}");
        if (wt.Count != words.Length) throw Bad($"\"word_topics\" has {wt.Count} entries but \"words\" has {words.Length}");

        var index = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (var i = 0; i < words.Length; i++)
        {
            if (words[i].Length == 0 || words[i].Any(char.IsWhiteSpace)) throw Bad($"\"words\"[{i}] must be a non-empty word without whitespace, found {Show(root["words"]![i])}");
            if (!index.TryAdd(words[i], i)) throw Bad($"\"words\"[{i}] '{words[i]}' repeats \"words\"[{index[words[i]]}]");
        }
        if (!index.ContainsKey(PlantedLexicon.Doc)) throw Bad($"\"words\" lacks the document separator '{PlantedLexicon.Doc}'");
        if (topics.Length == 0) throw Bad("\"topics\" is empty");
        if (topics.Distinct(StringComparer.Ordinal).Count() != topics.Length) throw Bad("\"topics\" has a repeated name");

        var wordTopics = new int[words.Length];
        for (var i = 0; i < wordTopics.Length; i++)
            if (wt[i] is not JsonValue tv || !tv.TryGetValue<int>(out wordTopics[i]) || wordTopics[i] < -1 || wordTopics[i] >= topics.Length)
                throw Bad($"\"word_topics\"[{i}] must be an integer in [-1, {topics.Length - 1}], found {Show(wt[i])}");
        return new PlantedVocabulary(words, topics, wordTopics, index);
    }

    private static string[] Strings(JsonObject root, string key, Func<string, RunnerException> bad)
    {
        if (root[key] is not JsonArray array) throw bad($"\"{key}\" must be an array of strings, found {Kind(root[key])}");
        var result = new string[array.Count];
        for (var i = 0; i < result.Length; i++)
            if (array[i] is not JsonValue value || !value.TryGetValue<string>(out result[i]!))
                throw bad($"\"{key}\"[{i}] must be a string, found {Show(array[i])}");
        return result;
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "nothing (missing or null)",
        JsonObject => "an object",
        JsonArray => "an array",
        _ => node.GetValueKind().ToString().ToLowerInvariant(),
    };

    private static string Show(JsonNode? node) => node is JsonValue ? node.ToJsonString() : Kind(node);
}
