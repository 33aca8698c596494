using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Runner.Pipeline.Spec;

/// <summary>
/// The type of a spec key: converts a YAML node to its JSON value, reporting what is wrong
/// (<c>expected …, got …</c>, <c>must be &gt; 0, got -1</c>). Each kind is a nested class.
/// </summary>
internal abstract partial class SchemaType
{
    /// <summary>The type in the reference table.</summary>
    public abstract string Doc { get; }

    /// <summary>What "expected …" says.</summary>
    public abstract string Expected { get; }

    /// <summary>Converts a given, non-null node; reports and returns null when it is invalid.</summary>
    public abstract JsonNode? Convert(SpecNode node, string path, SpecValidation v);

    protected JsonNode? Fail(SpecNode node, string path, SpecValidation v, string? message = null)
    {
        v.Error(node, path, message ?? $"expected {Expected}, got {node.Describe()}");
        return null;
    }

    internal static string Format(double d) => d.ToString("R", CultureInfo.InvariantCulture).ToLowerInvariant();

    /// <summary>Integers; <c>1e6</c> and <c>32.0</c> count when integral. <c>1_000_000</c> is fine.</summary>
    public sealed class Int(long min = 0, long max = int.MaxValue) : SchemaType
    {
        public override string Doc => min == 0 ? "integer ≥ 0" : $"integer ≥ {min}";

        public override string Expected => "an integer";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v)
        {
            if (node is not SpecScalar { IsPlain: true } s) return Fail(node, path, v);
            var p = ScalarParser.Parse(s.Value);
            long n;
            if (p.Kind == ScalarKind.Int) n = p.Int;
            else if (p.Kind == ScalarKind.Float && double.IsFinite(p.Float) && p.Float == Math.Floor(p.Float) && Math.Abs(p.Float) <= 9.007199254740992e15)
                n = (long)p.Float;
            else return Fail(node, path, v);
            if (n < min) return Fail(node, path, v, $"must be >= {min}, got {s.Value}");
            if (n > max) return Fail(node, path, v, $"must be <= {max}, got {s.Value}");
            return JsonValue.Create(n);
        }
    }

    /// <summary>Finite real numbers in a range; integers are accepted.</summary>
    public sealed class Float(double? min = null, bool minExclusive = false, double? max = null, bool maxExclusive = false) : SchemaType
    {
        public override string Doc => "number" + Range;

        public override string Expected => "a number";

        private string Range => (min, max) switch
        {
            (null, null) => "",
            ({ } lo, null) => minExclusive ? $" > {Format(lo)}" : $" ≥ {Format(lo)}",
            (null, { } hi) => maxExclusive ? $" < {Format(hi)}" : $" ≤ {Format(hi)}",
            ({ } lo, { } hi) => $" in {(minExclusive ? "(" : "[")}{Format(lo)}, {Format(hi)}{(maxExclusive ? ")" : "]")}",
        };

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v)
        {
            if (node is not SpecScalar { IsPlain: true } s) return Fail(node, path, v);
            var p = ScalarParser.Parse(s.Value);
            double d;
            if (p.Kind == ScalarKind.Int) d = p.Int;
            else if (p.Kind == ScalarKind.Float) d = p.Float;
            else return Fail(node, path, v);
            if (!double.IsFinite(d)) return Fail(node, path, v, $"must be a finite number, got {s.Value}");
            var below = min is { } lo && (minExclusive ? d <= lo : d < lo);
            var above = max is { } hi && (maxExclusive ? d >= hi : d > hi);
            if (below || above)
            {
                var rule = min is not null && max is not null ? "must be in" + Range[3..] : "must be" + Range;
                return Fail(node, path, v, $"{rule}, got {s.Value}");
            }
            return JsonValue.Create(d);
        }
    }

    /// <summary><c>true</c> or <c>false</c> (YAML 1.2: not yes/no/on/off).</summary>
    public sealed class Bool : SchemaType
    {
        public override string Doc => "true or false";

        public override string Expected => "true or false";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v)
        {
            if (node is SpecScalar { IsPlain: true } s && ScalarParser.Parse(s.Value) is { Kind: ScalarKind.Bool } p)
                return JsonValue.Create(p.Bool);
            return Fail(node, path, v);
        }
    }

    /// <summary>Any scalar as text (a plain <c>2024</c> is the string "2024"), optionally matching a pattern.</summary>
    public sealed class Text(Regex? pattern = null, string? patternDoc = null) : SchemaType
    {
        public override string Doc => patternDoc is null ? "string" : $"string ({patternDoc})";

        public override string Expected => "a string";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v)
        {
            if (node is not SpecScalar s) return Fail(node, path, v);
            if (pattern is not null && !pattern.IsMatch(s.Value))
                return Fail(node, path, v, $"must be {patternDoc}, got {SpecScalar.Quote(s.Value)}");
            return JsonValue.Create(s.Value);
        }
    }

    /// <summary>
    /// A file path or glob, resolved against the folder of the file that wrote it (the working
    /// directory for <c>--set</c>); <c>~/</c> is the home folder. Stored absolute.
    /// </summary>
    public sealed class FilePath(string? extension = null, bool mustExist = false, bool glob = false) : SchemaType
    {
        public override string Doc => glob ? "glob" : extension is null ? "path" : $"path to a {extension} file";

        public override string Expected => glob ? "a path or glob" : "a path";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v)
        {
            if (node is not SpecScalar s || s.Value.Length == 0) return Fail(node, path, v);
            var text = s.Value;
            if ((text == "~" || text.StartsWith("~/", StringComparison.Ordinal)) && v.Environment("HOME") is { Length: > 0 } home)
                text = home + text[1..];
            var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(s.Source.BaseDirectory, text));
            if (extension is not null && !full.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
                return Fail(node, path, v, $"expected a {extension} file, got {SpecScalar.Quote(s.Value)}");
            if (mustExist && !File.Exists(full))
                return Fail(node, path, v, $"file not found: {v.DisplayPath(full)}");
            return JsonValue.Create(full);
        }
    }

    /// <summary>One of a fixed set of names.</summary>
    public sealed class Choice(params string[] values) : SchemaType
    {
        public IReadOnlyList<string> Values => values;

        public override string Doc => string.Join(" \\| ", values);

        public override string Expected => "one of " + string.Join(", ", values);

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v)
        {
            if (node is SpecScalar s && values.Contains(s.Value)) return JsonValue.Create(s.Value);
            var hint = node is SpecScalar t && Suggest.Closest(t.Value, values) is { } c ? $"; did you mean {c}?" : "";
            return Fail(node, path, v, $"expected {Expected}, got {node.Describe()}{hint}");
        }
    }

    /// <summary><c>auto</c>, <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public sealed partial class Device : SchemaType
    {
        [GeneratedRegex("^(auto|cpu|cuda|cuda:[0-9]+)$")]
        private static partial Regex Pattern();

        public override string Doc => "auto \\| cpu \\| cuda \\| cuda:N";

        public override string Expected => "auto, cpu, cuda or cuda:N";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v) =>
            node is SpecScalar s && Pattern().IsMatch(s.Value) ? JsonValue.Create(s.Value) : Fail(node, path, v);
    }

    /// <summary>A feature: an index ≥ 0, <c>auto:TOPIC</c> or <c>random</c>.</summary>
    public sealed class Feature : SchemaType
    {
        public override string Doc => "index \\| auto:TOPIC \\| random";

        public override string Expected => "a feature index, auto:TOPIC or random";

        public override JsonNode? Convert(SpecNode node, string path, SpecValidation v)
        {
            if (node is not SpecScalar s) return Fail(node, path, v);
            if (s.IsPlain && ScalarParser.Parse(s.Value) is { Kind: ScalarKind.Int } p)
                return p.Int is >= 0 and <= int.MaxValue ? JsonValue.Create(p.Int) : Fail(node, path, v, $"must be >= 0, got {s.Value}");
            if (FeatureRef.TryParse(s.Value) is not null) return JsonValue.Create(s.Value);
            var hint = FeatureRef.TryParse("auto:" + s.Value) is not null ? $"; did you mean auto:{s.Value}?" : "";
            return Fail(node, path, v, $"expected {Expected}, got {node.Describe()}{hint}");
        }
    }
}
