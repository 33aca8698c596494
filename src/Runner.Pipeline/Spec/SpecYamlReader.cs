using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Runner.Pipeline.Spec;

/// <summary>
/// Reads one YAML document into a <see cref="SpecNode"/> tree through YamlDotNet's event parser, so
/// every node keeps its line and column and duplicate keys can be reported (a representation model
/// would throw on the first one). Supports anchors, aliases and <c>&lt;&lt;</c> merge keys.
/// </summary>
internal sealed class SpecYamlReader
{
    private const string StrTag = "tag:yaml.org,2002:str";
    private readonly SpecSource _source;
    private readonly SpecErrors _errors;
    private readonly IParser _parser;
    private readonly Dictionary<string, SpecNode> _anchors = new(StringComparer.Ordinal);
    private readonly Stack<(int Line, int Column, string What)> _open = new();

    private SpecYamlReader(string text, SpecSource source, SpecErrors errors)
    {
        _source = source;
        _errors = errors;
        _parser = new Parser(new StringReader(text));
    }

    /// <summary>The document's root node; an empty document is an empty mapping; null after a syntax error (reported).</summary>
    public static SpecNode? Read(string text, SpecSource source, SpecErrors errors, string rootPath = "") =>
        new SpecYamlReader(text, source, errors).ReadDocument(rootPath);

    private SpecNode? ReadDocument(string rootPath)
    {
        try
        {
            _parser.Consume<StreamStart>();
            if (_parser.Accept<StreamEnd>(out _)) return new SpecMapping(_source, 1, 1, []);
            _parser.Consume<DocumentStart>();
            var root = ReadNode(rootPath);
            _parser.Consume<DocumentEnd>();
            if (_parser.Accept<DocumentStart>(out var next))
            {
                _errors.Add(_source, next.Start.Line, next.Start.Column, "", "expected one YAML document, found a second one");
                return null;
            }
            return root;
        }
        catch (YamlException e)
        {
            _errors.Add(_source, (int)e.Start.Line, (int)e.Start.Column, "", "invalid YAML: " + Sentence(e.Message));
            return null;
        }
        catch (InvalidOperationException e) when (e.TargetSite?.DeclaringType?.FullName == "YamlDotNet.Core.Scanner")
        {
            // YamlDotNet's scanner throws this (not a YamlException) for a flow collection that never closes.
            var (line, col, what) = _open.Count > 0 ? _open.Peek() : (1, 1, "document");
            _errors.Add(_source, line, col, "", $"invalid YAML: this {what} is never closed");
            return null;
        }
    }

    private SpecNode ReadNode(string path)
    {
        if (_parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (_anchors.TryGetValue(alias.Value.Value, out var target)) return target;
            _errors.Add(_source, alias.Start.Line, alias.Start.Column, path, $"unknown anchor *{alias.Value.Value}");
            return new SpecScalar(_source, (int)alias.Start.Line, (int)alias.Start.Column, "", true) { IsBroken = true };
        }
        if (_parser.TryConsume<Scalar>(out var scalar))
        {
            var tagged = scalar.Tag.IsGlobal && scalar.Tag.Value == StrTag;
            var node = new SpecScalar(_source, (int)scalar.Start.Line, (int)scalar.Start.Column, scalar.Value, scalar.Style == ScalarStyle.Plain && !tagged)
            {
                IsStrTagged = tagged,
            };
            return Remember(scalar.Anchor, node);
        }
        if (_parser.TryConsume<SequenceStart>(out var seqStart))
        {
            _open.Push(((int)seqStart.Start.Line, (int)seqStart.Start.Column, "flow list"));
            var items = new List<SpecNode>();
            while (!_parser.TryConsume<SequenceEnd>(out _))
                items.Add(ReadNode($"{path}[{items.Count}]"));
            _open.Pop();
            return Remember(seqStart.Anchor, new SpecSequence(_source, (int)seqStart.Start.Line, (int)seqStart.Start.Column, items));
        }
        var mapStart = _parser.Consume<MappingStart>();
        _open.Push(((int)mapStart.Start.Line, (int)mapStart.Start.Column, "flow mapping"));
        var entries = new List<SpecEntry>();
        var merged = new List<SpecEntry>();
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var keyNode = ReadNode(path);
            if (keyNode is not SpecScalar key || key.IsBroken)
            {
                if (keyNode is not SpecScalar { IsBroken: true })
                    _errors.Add(keyNode, path, "keys must be strings, got " + keyNode.Describe());
                ReadNode(path);
                continue;
            }
            var childPath = SpecPath.Key(path, key.Value);
            if (key.IsPlain && key.Value == "<<")
            {
                merged.AddRange(MergeSource(ReadNode(path), path));
                continue;
            }
            var value = ReadNode(childPath);
            var first = entries.Find(e => e.Key.Value == key.Value);
            if (first is not null)
                _errors.Add(key, childPath, $"duplicate key (first at {first.Key.Line}:{first.Key.Column})");
            else
                entries.Add(new SpecEntry(key, value));
        }
        _open.Pop();
        foreach (var m in merged)
            if (entries.All(e => e.Key.Value != m.Key.Value)) entries.Add(m);
        return Remember(mapStart.Anchor, new SpecMapping(_source, (int)mapStart.Start.Line, (int)mapStart.Start.Column, entries));
    }

    /// <summary>Entries a <c>&lt;&lt;</c> merge key brings in: one mapping, or a list of them (earlier ones win).</summary>
    private List<SpecEntry> MergeSource(SpecNode node, string path)
    {
        var result = new List<SpecEntry>();
        var sources = node is SpecSequence seq ? seq.Items : [node];
        foreach (var s in sources)
        {
            if (s is SpecMapping m)
            {
                foreach (var e in m.Entries)
                    if (result.All(r => r.Key.Value != e.Key.Value)) result.Add(e);
            }
            else if (s is not SpecScalar { IsBroken: true })
                _errors.Add(s, path, "<< merges a mapping or a list of mappings, got " + s.Describe());
        }
        return result;
    }

    private SpecNode Remember(AnchorName anchor, SpecNode node)
    {
        if (!anchor.IsEmpty) _anchors[anchor.Value] = node;
        return node;
    }

    /// <summary>YamlDotNet's "While scanning X, found Y." as "while scanning X, found Y".</summary>
    private static string Sentence(string message)
    {
        var s = message.Trim().TrimEnd('.');
        return s.Length > 0 ? char.ToLowerInvariant(s[0]) + s[1..] : "syntax error";
    }
}
