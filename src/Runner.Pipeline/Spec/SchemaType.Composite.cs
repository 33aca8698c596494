using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>The composite spec types: lists, sections, hook entries, tracking, free-form mappings.</summary>
internal abstract partial class SchemaType
{
    /// <summary>A list; with <paramref name="single"/>, one bare item means a list of one.</summary>
    public sealed class List(SchemaType item, string itemsDoc, bool single = false) : SchemaType
    {
        public SchemaType Item => item;

        public override string Doc => single ? $"{itemsDoc} (one or a list)" : $"list of {itemsDoc}";

        public override string Expected => $"a list of {itemsDoc}";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v)
        {
            if (node is SpecSequence seq)
            {
                var array = new JsonArray();
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    var itemPath = SpecPath.Index(path, i);
                    var x = seq.Items[i];
                    if (x is SpecScalar { IsBroken: true }) { v.MarkBroken(itemPath); array.Add(null); }
                    else if (x.IsNull) array.Add(Fail(x, itemPath, v, $"expected {item.Expected}, got null"));
                    else array.Add(item.Convert(x, itemPath, v));
                }
                return array;
            }
            if (single && (node is SpecScalar || (node is SpecMapping && item is Section or HookScript)))
                return new JsonArray(item.Convert(node, path, v));
            return Fail(node, path, v);
        }
    }

    /// <summary>A mapping of free-form keys to any YAML values (hook arguments).</summary>
    public sealed class FreeMap : SchemaType
    {
        public override string Doc => "mapping (any keys)";

        public override string Expected => "a mapping";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v) =>
            node is SpecMapping m ? ToJson(m) : Fail(node, path, v);

        /// <summary>Plain scalars typed by the YAML core schema, quoted ones as strings.</summary>
        public static JsonNode? ToJson(SpecNode node)
        {
            switch (node)
            {
                case SpecMapping m:
                    var o = new JsonObject();
                    foreach (var e in m.Entries) o[e.Key.Value] = ToJson(e.Value);
                    return o;
                case SpecSequence s:
                    return new JsonArray(s.Items.Select(ToJson).ToArray());
                case SpecScalar { IsBroken: true }:
                    return null;
                case SpecScalar { IsPlain: false } q:
                    return JsonValue.Create(q.Value);
                case SpecScalar p:
                    var parsed = ScalarParser.Parse(p.Value);
                    return parsed.Kind switch
                    {
                        ScalarKind.Null => null,
                        ScalarKind.Bool => JsonValue.Create(parsed.Bool),
                        ScalarKind.Int => JsonValue.Create(parsed.Int),
                        ScalarKind.Float when double.IsFinite(parsed.Float) => JsonValue.Create(parsed.Float),
                        _ => JsonValue.Create(p.Value),
                    };
                default:
                    return null;
            }
        }
    }

    /// <summary>A section: a mapping with known keys, defaults, groups and conditions.</summary>
    public sealed class Section(IReadOnlyList<SchemaField> fields, IReadOnlyList<SchemaGroup>? groups = null, IReadOnlyList<string>? extraKeys = null) : SchemaType
    {
        public IReadOnlyList<SchemaField> Fields => fields;

        public IReadOnlyList<SchemaGroup> Groups => groups ?? [];

        public override string Doc => "mapping";

        public override string Expected => "a mapping";

        public SchemaField? Field(string name) => fields.FirstOrDefault(f => f.Name == name);

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v) =>
            node is SpecMapping m ? Build(m, m, path, v) : Fail(node, path, v);

        /// <summary>The section's JSON, keys in schema order, every applicable default filled in.</summary>
        public JsonObject Build(SpecMapping? map, SpecNode anchor, string path, SpecValidation v)
        {
            var names = fields.Select(f => f.Name).Concat(extraKeys ?? []).ToList();
            var given = new Dictionary<string, SpecEntry>(StringComparer.Ordinal);
            foreach (var e in map?.Entries ?? [])
            {
                if (Field(e.Key.Value) is not null) given[e.Key.Value] = e;
                else v.Error(e.Key, SpecPath.Key(path, e.Key.Value), Suggest.UnknownKey(e.Key.Value, names));
            }
            bool IsGiven(string key) => given.TryGetValue(key, out var e) && !e.Value.IsNull && e.Value is not SpecScalar { IsBroken: true };

            var obj = new JsonObject();
            foreach (var f in fields)
            {
                var fpath = SpecPath.Key(path, f.Name);
                given.TryGetValue(f.Name, out var entry);
                var node = entry?.Value;
                if (node is not null) v.Nodes[fpath] = node;
                JsonNode? value = null;
                var failed = f.When.Select(c => (c, holds: c.Holds(v))).FirstOrDefault(x => x.holds != true);
                if (node is SpecScalar { IsBroken: true } || (failed.c is not null && failed.holds is null))
                    v.MarkBroken(fpath); // already reported, here or where the key it depends on is written
                else if (failed.c is not null)
                {
                    if (IsGiven(f.Name)) v.Error(entry!.Key, fpath, failed.c.Conflict(v) + "; remove it or set it to null");
                }
                else if (IsGiven(f.Name))
                    value = f.Type.Convert(node!, fpath, v);
                else if (f.Required)
                {
                    if (node is not null) v.Error(node, fpath, $"expected {f.Type.Expected}, got null");
                    else v.Error(map ?? anchor, fpath, "missing required key");
                }
                else if (Groups.FirstOrDefault(g => g.Keys.Contains(f.Name)) is { } group &&
                         (group.DefaultKey != f.Name || group.Keys.Any(IsGiven)))
                    value = null;
                else
                    value = Default(f, map ?? anchor, fpath, v);
                obj[f.Name] = value;
                v.Values[fpath] = value;
            }

            foreach (var g in Groups)
            {
                if (Field(g.Keys[0])!.When.Any(c => c.Holds(v) != true)) continue;
                if (g.Keys.Any(k => given.TryGetValue(k, out var e) && e.Value is SpecScalar { IsBroken: true })) continue;
                var present = g.Keys.Where(IsGiven).Select(k => given[k])
                    .OrderBy(e => e.Key.Source.Precedence).ThenBy(e => e.Key.Line).ThenBy(e => e.Key.Column).ToList();
                foreach (var extra in present.Skip(1))
                    v.Error(extra.Key, SpecPath.Key(path, extra.Key.Value),
                        $"conflicts with {SpecPath.Key(path, present[0].Key.Value)} ({SpecValidation.Where(present[0].Key, extra.Key)}); give only one of {string.Join(", ", g.Keys)}");
                if (present.Count == 0 && g.Required)
                    v.Error(map ?? anchor, path, $"missing one of {string.Join(", ", g.Keys)}");
            }
            return obj;
        }

        private static JsonNode? Default(SchemaField f, SpecNode anchor, string path, SpecValidation v)
        {
            if (f.DefaultFrom is not null) return f.DefaultFrom(v);
            return f.Type switch
            {
                Section s when f.Default is null => s.Build(null, anchor, path, v),
                Tracking t when f.Default is null => t.Body.Build(null, anchor, path, v),
                _ => f.Default?.DeepClone(),
            };
        }
    }

    /// <summary>A hook script: a bare path, or a mapping with path, when, args.</summary>
    public sealed class HookScript(Section section) : SchemaType
    {
        public Section Body => section;

        public override string Doc => "path \\| mapping";

        public override string Expected => "a script path or a mapping with path";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v) => node switch
        {
            SpecMapping m => section.Build(m, m, path, v),
            SpecScalar s => section.Build(
                new SpecMapping(s.Source, s.Line, s.Column, [new SpecEntry(new SpecScalar(s.Source, s.Line, s.Column, "path", true), s)]), s, path, v),
            _ => Fail(node, path, v),
        };
    }

    /// <summary><c>none</c>, or a mapping with <c>mlflow</c>.</summary>
    public sealed class Tracking(Section section, Section mlflow) : SchemaType
    {
        public Section Body => section;

        public Section Mlflow => mlflow;

        public override string Doc => "none \\| mapping";

        public override string Expected => "none or a mapping with mlflow";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v) => node switch
        {
            SpecMapping m => section.Build(m, m, path, v),
            SpecScalar { Value: "none" } => JsonValue.Create("none"),
            _ => Fail(node, path, v),
        };
    }
}
