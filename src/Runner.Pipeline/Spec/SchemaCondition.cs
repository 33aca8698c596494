using System.Text.Json;
using System.Text.Json.Nodes;

namespace Runner.Pipeline.Spec;

/// <summary>When a key applies, in terms of another key (an absolute key path validated earlier).</summary>
internal abstract record SchemaCondition(string Path)
{
    /// <summary>True or false; null when the other key is itself invalid (stay silent then).</summary>
    public abstract bool? Holds(SpecValidation v);

    /// <summary>The message for a key given although the condition is false.</summary>
    public abstract string Conflict(SpecValidation v);

    /// <summary>The condition in the reference table.</summary>
    public abstract string Doc { get; }

    protected static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    /// <summary>Applies when the key at <see cref="SchemaCondition.Path"/> has one of <paramref name="Values"/>.</summary>
    public sealed record ValueIs(string Path, params string[] Values) : SchemaCondition(Path)
    {
        public override bool? Holds(SpecValidation v) =>
            v.IsBroken(Path) ? null : Values.Contains(Text(v.Values[Path]));

        public override string Conflict(SpecValidation v) =>
            $"conflicts with {Path}: {Text(v.Values[Path]) ?? "null"} (only allowed with {Or(Values)})";

        public override string Doc => $"{Path} is {Or(Values)}";
    }

    /// <summary>Applies when the key at <see cref="SchemaCondition.Path"/> is set (not null).</summary>
    public sealed record IsSet(string Path) : SchemaCondition(Path)
    {
        public override bool? Holds(SpecValidation v) => v.IsBroken(Path) ? null : v.Values[Path] is not null;

        public override string Conflict(SpecValidation v) => $"only allowed with {Path} set";

        public override string Doc => $"{Path} is set";
    }

    /// <summary>Applies when the key at <see cref="SchemaCondition.Path"/> is not set; <paramref name="Reason"/> says why.</summary>
    public sealed record IsUnset(string Path, string Reason) : SchemaCondition(Path)
    {
        public override bool? Holds(SpecValidation v) => v.IsBroken(Path) ? null : v.Values[Path] is null;

        public override string Conflict(SpecValidation v) => $"conflicts with {Path} ({Reason})";

        public override string Doc => $"{Path} is not set";
    }

    internal static string Or(IReadOnlyList<string> values) =>
        values.Count == 1 ? values[0] : string.Join(", ", values.Take(values.Count - 1)) + " or " + values[^1];
}
