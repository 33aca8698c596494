namespace Runner.Pipeline.Spec;

/// <summary>A scalar. Plain scalars are typed by <see cref="ScalarParser"/>; quoted ones are always strings.</summary>
internal sealed class SpecScalar(SpecSource source, int line, int column, string value, bool isPlain) : SpecNode(source, line, column)
{
    /// <summary>The text, after interpolation once the tree is interpolated.</summary>
    public string Value { get; } = value;

    /// <summary>Plain (unquoted, untagged) scalar.</summary>
    public bool IsPlain { get; } = isPlain;

    /// <summary>Tagged <c>!!str</c>: a string whatever interpolation gives.</summary>
    public bool IsStrTagged { get; init; }

    /// <summary>An error was already reported for this value; validation skips it silently.</summary>
    public bool IsBroken { get; init; }

    public SpecScalar WithValue(string value, bool? isPlain = null) =>
        new(Source, Line, Column, value, isPlain ?? IsPlain) { IsStrTagged = IsStrTagged };

    public SpecScalar AsBroken() => new(Source, Line, Column, Value, IsPlain) { IsBroken = true, IsStrTagged = IsStrTagged };

    public override string Describe()
    {
        if (!IsPlain)
            return ScalarParser.Parse(Value).Kind is ScalarKind.String ? Quote(Value) : "the string " + Quote(Value);
        return ScalarParser.Parse(Value).Kind switch
        {
            ScalarKind.Null => "null",
            ScalarKind.String => Quote(Value),
            _ => Value,
        };
    }

    internal static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
}
